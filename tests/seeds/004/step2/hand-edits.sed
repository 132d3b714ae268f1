# sendmail.cf edited by hand as the post's step 2 says: DS, DR and DH all
# esmtp:localhost. Debian's 8.17 sendmail.cf has a DS line but no DR or DH
# lines (proto.m4 writes them only when LOCAL_RELAY / MAIL_HUB are defined),
# so the reader adds them next to DS.
s/^DS$/DSesmtp:localhost\
DResmtp:localhost\
DHesmtp:localhost/
