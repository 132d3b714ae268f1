dnl tail.m4 - the mailers, last as sendmail's m4 files require
MAILER(`local')dnl
MAILER(`smtp')dnl
