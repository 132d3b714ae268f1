# sendmail.cf edited by hand as the post says. Step 2: DS, DR and DH all
# esmtp:localhost. Debian's 8.17 sendmail.cf has a DS line but no DR or DH
# lines (proto.m4 writes them only when LOCAL_RELAY / MAIL_HUB are defined),
# so the reader adds them next to DS.
s/^DS$/DSesmtp:localhost\
DResmtp:localhost\
DHesmtp:localhost/
# step 3: the k flag (no loop check) on the esmtp mailer
s/^\(Mesmtp,.*F=\)mDFMuXa,/\1kmDFMuXa,/
# step 4: SMTP AUTH to James with DefaultAuthInfo
s/^#O AuthMechanisms=EXTERNAL GSSAPI KERBEROS_V4 DIGEST-MD5 CRAM-MD5$/O AuthMechanisms=LOGIN PLAIN GSSAPI KERBEROS_V4 DIGEST-MD5 CRAM-MD5/
s/^#O DefaultAuthInfo=\/etc\/mail\/default-auth-info$/O DefaultAuthInfo=\/etc\/mail\/default-auth-info/
s/^#O AuthOptions$/O AuthOptions=A/
