# tests/trace/dsn.sh - relaymilter-trace --dsn: late bounces read from
# mailboxes, their trace headers verified, joined to the maillog; golden
# text, JSON, summary, textfile and alert outputs. Sourced by
# tests/trace/run (its check/golden/ok/notok helpers, $T, $tmp, $NOW).
#
# Inputs: the world's real DSNs with their maillog and trace key
# (tests/e2e/fixtures/dsn, made by tests/dmarcworld/run --save-fixtures),
# the bounces derived from them that must not be joined
# (tests/trace/fixtures/dsn, make.py there), and two hand-written
# non-standard bounces (tests/unit/data/dsn). The key is checked out 0644
# and relaymilter refuses such a key: a 0600 copy is used.

DF=tests/e2e/fixtures/dsn
DD=tests/trace/fixtures/dsn
KEY=$tmp/dsn-trace.key
install -m 600 "$DF/trace.key" "$KEY"
# the world's run was on 2026-12-06: its syslog lines have no year
DNOW=2026-12-06T14:00:00Z
D=(--now "$DNOW" --sendmail-cf /dev/null --trace-key "$KEY")

# ---- the world's six bounces, mbox and Maildir, with the maillog ----
"$T" "${D[@]}" --dsn "$DF/dsn.mbox" "$DF/maillog" > "$tmp/dsn.txt" \
	2> "$tmp/dsn.err"
check "dsn: text, exit 0, nothing on stderr" "[ $? -eq 0 ] && [ ! -s $tmp/dsn.err ]"
golden dsn.txt "$tmp/dsn.txt"
check "dsn: five bounced after relay, sendmail's own one by the relay" \
	"[ \$(grep -c '^== BOUNCED AFTER RELAY mta ' $tmp/dsn.txt) -eq 5 ] && grep -q '^== BOUNCED BY THE RELAY mta 6B6DelZW008020 ' $tmp/dsn.txt"
for q in 6B6DeYB6005068 6B6DeZJ3005145 6B6Deeel006380 6B6DeebM006515 \
    6B6DekJ2007815 6B6DelZW008020; do
	check "dsn: the bounce of $q is joined to its maillog record" \
		"grep -q '^== BOUNCED [A-Z ]*mta $q ' $tmp/dsn.txt"
done
"$T" "${D[@]}" --dsn "$DF/Maildir" "$DF/maillog" > "$tmp/dsn-md.txt"
check "dsn: the Maildir gives what the mbox gives" \
	"diff <(grep -v '^   bounce: ' $tmp/dsn.txt | sed 's/; 6 shown//') <(grep -v '^   bounce: ' $tmp/dsn-md.txt | sed 's/; 6 shown//')"
"$T" "${D[@]}" --json --dsn "$DF/Maildir" "$DF/maillog" > "$tmp/dsn.json"
golden dsn.json "$tmp/dsn.json"
check "dsn: json, one valid object per bounce (6)" \
	"$PY -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' $tmp/dsn.json && [ \$(wc -l < $tmp/dsn.json) -eq 6 ]"
check "dsn: json, relaymilter had predicted the 5.7.26 and the DMARC refusal at Gmail" \
	"$PY - $tmp/dsn.json <<'EOF'
import json, sys
o = {j['qid']: j for j in map(json.loads, open(sys.argv[1]))}
r = lambda q: o[q]['recipients'][0]
assert r('6B6DeZJ3005145')['cause']['id'] == 'unauthenticated'
assert r('6B6DeZJ3005145')['predicted'] == 'yes'
assert r('6B6Deeel006380')['cause']['id'] == 'dmarc-reject'
assert r('6B6Deeel006380')['predicted_by'] == 'spf=softfail, align=fail'
assert r('6B6DeebM006515')['predicted'] == 'unknown'
assert r('6B6DeYB6005068')['predicted'] == 'n/a'
assert all(j['trace']['verdict'] == 'genuine' and j['joined'] for j in o.values())
EOF"
"$T" "${D[@]}" --summary --dsn "$DF/dsn.mbox" "$DF/maillog" > "$tmp/dsn.summary"
golden dsn.summary "$tmp/dsn.summary"
rm -f "$tmp/dsn.prom"
"$T" "${D[@]}" --prometheus "$tmp/dsn.prom" --dsn "$DF/dsn.mbox" "$DF/maillog" \
	> "$tmp/dsn-prom.out"
golden dsn.prom "$tmp/dsn.prom"
check "dsn: prometheus, nothing else printed" "[ ! -s $tmp/dsn-prom.out ]"
if command -v promtool > /dev/null; then
	check "dsn: promtool check metrics accepts the textfile" \
		"promtool check metrics < $tmp/dsn.prom"
else
	skip "dsn: promtool check metrics accepts the textfile" "no promtool"
fi
"$T" "${D[@]}" --alert --dsn "$DF/dsn.mbox" "$DF/maillog" > "$tmp/dsn.alert"
rc=$?
golden dsn.alert "$tmp/dsn.alert"
check "dsn: alert, exit 2 and one CRITICAL late-bounce per bounced recipient" \
	"[ $rc -eq 2 ] && [ \$(grep -c '^CRITICAL late-bounce ' $tmp/dsn.alert) -eq 6 ]"

# ---- without the maillog: genuine, not joined ----
"$T" "${D[@]}" --dsn "$DF/gmail-dmarc-reject.eml" > "$tmp/dsn-alone.txt"
check "dsn: without a maillog, genuine but not joined, predicted from the trace header" \
	"grep -q '^== BOUNCED 6B6Deeel006380 2026-12-06 13:40:40$' $tmp/dsn-alone.txt && grep -q 'not joined: no maillog given' $tmp/dsn-alone.txt && grep -q 'predicted: yes, relaymilter had said so (spf=softfail, align=fail (the trace header' $tmp/dsn-alone.txt"
"$T" "${D[@]}" --dsn "$DF/gmail-5.1.1.eml" tests/trace/fixtures/world-basic.log \
	> "$tmp/dsn-other.txt"
check "dsn: a maillog without its queue id: not joined, and said why" \
	"grep -q 'not joined: its queue id is not in the maillog read' $tmp/dsn-other.txt"
"$T" "${D[@]}" --dsn - < "$DF/sendmail-5.1.1.eml" > "$tmp/dsn-stdin.txt"
check "dsn: one message on standard input (--dsn -)" \
	"grep -q '^== BOUNCED 6B6DekJ2007815 ' $tmp/dsn-stdin.txt && grep -q '(stdin), an RFC 3464 report' $tmp/dsn-stdin.txt"

# ---- headers that must not be joined ----
"$T" "${D[@]}" --all --dsn "$DD/forged.eml" --dsn "$DD/other-key.eml" \
	--dsn "$DD/moved.eml" --dsn "$DD/moved-maillog.eml" \
	--dsn "$DD/malformed.eml" --dsn "$DD/no-header.eml" "$DF/maillog" \
	> "$tmp/dsn-bad.txt"
golden dsn-notgenuine.txt "$tmp/dsn-bad.txt"
check "dsn: forged and other-key headers are FORGED, not joined" \
	"[ \$(grep -c 'FORGED: not made with this trace key' $tmp/dsn-bad.txt) -eq 2 ]"
check "dsn: a header moved to another queue id is MOVED, from its own" \
	"[ \$(grep -c 'MOVED: made by this relaymilter at 2026-12-06 13:40:40 for queue id 6B6Deeel006380, not 6B6DeYB6005068' $tmp/dsn-bad.txt) -eq 2 ]"
check "dsn: nothing of them is joined to the maillog" \
	"! grep -q '^   relaymilter: ' $tmp/dsn-bad.txt && grep -q ' 0 joined to the maillog' $tmp/dsn-bad.txt"
"$T" "${D[@]}" --dsn "$DD/moved-maillog.eml" > "$tmp/dsn-moved.txt"
check "dsn: without the maillog, a moved header whose Received: fields were changed too is FORGED" \
	"grep -q 'FORGED: ' $tmp/dsn-moved.txt"
"$T" "${D[@]}" --dsn "$DD/no-header.eml" > "$tmp/dsn-nohdr.txt"
check "dsn: a bounce without a trace header is shown with --all only" \
	"! grep -q '^== ' $tmp/dsn-nohdr.txt && grep -q '0 with a genuine trace header, 0 not genuine, 1 without one' $tmp/dsn-nohdr.txt"
"$T" "${D[@]}" --alert --dsn "$DD/forged.eml" > "$tmp/dsn-forged.alert"
check "dsn: alert, a forged header warns (exit 1)" \
	"[ $? -eq 1 ] && grep -q '^WARNING dsn-not-genuine verdict=forged ' $tmp/dsn-forged.alert"

# ---- non-standard layouts ----
"$T" "${D[@]}" --dsn tests/unit/data/dsn/forwarded-text.eml \
	--dsn tests/unit/data/dsn/qmail-quoted.eml "$DF/maillog" > "$tmp/dsn-text.txt"
check "dsn: a forwarded bounce without a delivery-status part is recognised and joined" \
	"grep -q '^== BOUNCED AFTER RELAY mta 6B6DeebM006515 ' $tmp/dsn-text.txt && grep -q 'a bounce in text (no delivery-status part)' $tmp/dsn-text.txt"
check "dsn: qmail's failure notice, the original quoted: joined, the recipient from the text" \
	"grep -q '^== BOUNCED AFTER RELAY mta 6B6DeYB6005068 ' $tmp/dsn-text.txt && grep -q '(quoted in the text)' $tmp/dsn-text.txt"

# ---- the trace key from relaymilter.conf, and what is refused ----
printf 'TraceKeyFile %s\n' "$KEY" > "$tmp/dsn.conf"
"$T" --now "$DNOW" --sendmail-cf /dev/null -c "$tmp/dsn.conf" \
	--dsn "$DF/dsn.mbox" "$DF/maillog" > "$tmp/dsn-conf.txt"
check "dsn: -c FILE reads TraceKeyFile from relaymilter.conf" \
	"cmp -s $tmp/dsn.txt $tmp/dsn-conf.txt"
printf 'TraceKeyFile %s\nTraceHeader X-Other-Trace\n' "$KEY" > "$tmp/dsn2.conf"
"$T" --now "$DNOW" --sendmail-cf /dev/null -c "$tmp/dsn2.conf" \
	--dsn "$DF/dsn.mbox" > "$tmp/dsn-hdr.txt"
check "dsn: -c FILE's TraceHeader is the header looked for" \
	"grep -q '0 with a genuine trace header, 0 not genuine, 6 without one' $tmp/dsn-hdr.txt"
"$T" "${D[@]:0:4}" --trace-key "$DF/trace.key" --dsn "$DF/dsn.mbox" \
	> /dev/null 2> "$tmp/dsn-key.err"
check "dsn: a key readable by others is refused (exit 3, chmod 600 named)" \
	"[ $? -eq 3 ] && grep -q 'run chmod 600' $tmp/dsn-key.err"
"$T" "${D[@]:0:4}" -c "$tmp/nonexistent.conf" --dsn "$DF/dsn.mbox" \
	> /dev/null 2> "$tmp/dsn-conf.err"
check "dsn: a missing relaymilter.conf: exit 3 and its name" \
	"[ $? -eq 3 ] && grep -q 'nonexistent.conf' $tmp/dsn-conf.err"
"$T" "${D[@]}" --dsn "$tmp/no-such-box" --dsn "$DF/gmail-5.1.1.eml" \
	> "$tmp/dsn-nobox.txt" 2> "$tmp/dsn-nobox.err"
check "dsn: a missing mailbox: exit 3, named, the others still read" \
	"[ $? -eq 3 ] && grep -q 'no-such-box' $tmp/dsn-nobox.err && grep -q '^== BOUNCED 6B6DeYB6005068 ' $tmp/dsn-nobox.txt"
check "dsn: -c without --dsn is refused" \
	"! $T -c $tmp/dsn.conf $DF/maillog > /dev/null 2>&1"
check "dsn: --dsn with --follow is refused" \
	"! $T --follow --trace-key $KEY --dsn $DF/dsn.mbox $DF/maillog > /dev/null 2>&1"
