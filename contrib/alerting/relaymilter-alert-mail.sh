#!/bin/sh
# relaymilter-alert-mail.sh - cron alternative to the timer: mail the alerts
# of relaymilter-trace to the postmaster when there are any.
#   */10 * * * * root /usr/local/share/doc/relaymilter/alerting/relaymilter-alert-mail.sh
# (`make install` puts it in $(PREFIX)/share/doc/relaymilter/alerting/)
# The report goes out through the same sendmail: if the smarthost is the
# problem it stays in the queue, so also watch the exit status elsewhere.
set -u
LOG=${MAILLOG:-/var/log/mail.log}
TO=${ALERT_TO:-postmaster}
out=$(relaymilter-trace --alert --max-defer=30m "$LOG" 2>&1)
rc=$?
[ $rc -eq 0 ] && exit 0
{
	printf 'Subject: relaymilter alerts on %s (exit %d)\n' "$(hostname -f)" "$rc"
	printf 'To: %s\n\n' "$TO"
	printf '%s\n\n' "$out"
	relaymilter-trace --max-defer=30m "$LOG" 2>&1 | head -100
} | sendmail -t
exit $rc
