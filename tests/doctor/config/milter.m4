dnl milter.m4 - relaymilter as the fixtures' relaymilter.conf describes it
INPUT_MAIL_FILTER(`relaymilter', `S=local:@DIR@/relaymilter.sock, F=T, T=S:10s;R:20s;E:5m')dnl
