# tests/cli/budget.sh - the relay budget on the command line (sourced by
# tests/cli/run: uses its T, RM, BUILD, expect): -n's checks, -T, -S, the
# daemon's state file (kept, corrupt, missing) and the releaser -R against
# a stand-in sendmail that answers as sendmail -v does.
MC=$BUILD/tests/tools/milterclient
B=$T/budget; mkdir -p "$B/state"; chmod 700 "$B/state"

# ---- -n: RelayLimit and StateDirectory errors name their line
printf 'Syslog no\nTraceKeyFile %s/k\nRelayLimit gmail\nRelayLimit gmial\n' "$B" >"$B/bad1.conf"
expect "-n: a RelayLimit that is no preset, with file:line and the presets" 1 \
	"bad1.conf:4: RelayLimit: 'gmial' is no preset \(gmail, workspace, workspace-relay, microsoft365\)" \
	"$RM" -n -c "$B/bad1.conf"
printf 'Syslog no\nTraceKeyFile %s/k\nRelayLimit per=domain msgs/24h=5\n' "$B" >"$B/bad2.conf"
expect "-n: per= is account, sender or relay" 1 "bad2.conf:3: RelayLimit: per=domain" \
	"$RM" -n -c "$B/bad2.conf"
printf 'Syslog no\nTraceKeyFile %s/k\nStateDirectory var/lib/relaymilter\n' "$B" >"$B/bad3.conf"
expect "-n: StateDirectory must be absolute" 1 "bad3.conf:3: StateDirectory: 'var/lib/relaymilter' is not an absolute path" \
	"$RM" -n -c "$B/bad3.conf"

# ---- -n: what the budget does, and what sendmail.cf does to it
cat >"$B/sendmail.cf" <<'EOF2'
DS[smtp.gmail.com]
O Timeout.queuereturn=4h
Mrelay,		P=[IPC], F=mDFMuXa8k, S=EnvFromSMTP/HdrFromSMTP, R=MasqSMTP, E=\r\n, L=2040,
		T=DNS/RFC822/SMTP, r=100,
		A=TCP $h 587
EOF2
cat >"$B/good.conf" <<EOF2
Socket local:$B/sock
Syslog no
AllowRoot yes
AuthInfoFile $T/authinfo
TraceKeyFile $B/trace.key
StateDirectory $B/state
RelayLimit gmail rcpts/msg=50
RelayLimit per=relay msgs/min=2
EOF2
out=$("$RM" -n -c "$B/good.conf" --cf "$B/sendmail.cf" 2>&1); rc=$?
if [ $rc = 0 ] && grep -q 'budget    RelayLimit gmail per=account rcpts/24h=500 rcpts/msg=50: counted under account:acct@gmail.com' <<<"$out" &&
    grep -q 'budget    over it, mail is held in sendmail.s queue' <<<"$out"; then
	ok "-n: each RelayLimit with the key it counts under, and what happens over it"
else not_ok "-n: each RelayLimit with the key it counts under" "exit $rc" "$out"; fi
if grep -q "mailer relay sends up to 100 recipients per envelope (r=), the relay takes 50 (RelayLimit rcpts/msg): define(\`SMTP_MAILER_MAXRCPTS', \`50')" <<<"$out"; then
	ok "-n: the relay mailer's r= above rcpts/msg is named, with the sendmail.mc fix"
else not_ok "-n: the relay mailer's r= above rcpts/msg" "$out"; fi
if grep -q 'Timeout.queuereturn is 4h00m (sendmail.cf line 2): mail held for a 24-hour window may wait longer than a day' <<<"$out"; then
	ok "-n: a Timeout.queuereturn shorter than the budget's window is warned about"
else not_ok "-n: a short Timeout.queuereturn is warned about" "$out"; fi

# ---- -T: the keys and whether the message fits
out=$("$RM" -T www@host.example.lan --relay '[smtp.gmail.com]' -c "$B/good.conf" 2>&1); rc=$?
if [ $rc = 0 ] && grep -q 'relay budget   counted under account:acct@gmail.com (RelayLimit gmail per=account' <<<"$out" &&
    grep -q 'counts unknown: .*budget.state does not exist yet' <<<"$out" &&
    grep -q 'decision line  budget=1/2, budget_window=msgs/min, budget_key=relay:smtp.gmail.com' <<<"$out"; then
	ok "-T: the keys of the message, the counts it starts from, its budget= decision-line keys"
else not_ok "-T: the relay budget lines" "exit $rc" "$out"; fi

# ---- -S before anything was counted
expect "-S: no state file yet is no error" 0 "does not exist yet: nothing counted" "$RM" -S -c "$B/good.conf"

# ---- the daemon: count, hold, keep the state, read it back
start_budget_daemon() {	# ready when this start says so (the log keeps earlier ones)
	local n; n=$(grep -c 'starting on' "$B/daemon.log" 2>/dev/null)
	"$RM" -f -c "$B/good.conf" 2>>"$B/daemon.log" & bpid=$!
	for _ in $(seq 1 400); do
		[ "$(grep -c 'starting on' "$B/daemon.log")" -gt "${n:-0}" ] && break
		sleep 0.05
	done
}
stop_budget_daemon() { kill "$bpid" 2>/dev/null; wait "$bpid" 2>/dev/null; }
send() { "$MC" -s "unix:$B/sock" -q "$1" -f '<www@web.example.lan>' -r '<friend@remote.test>,relay,[smtp.gmail.com]' "${@:2}"; }
: >"$B/daemon.log"
start_budget_daemon
o1=$(send CLIB1); o2=$(send CLIB2); o3=$(send CLIB3); o4=$(send CLIB4 -Q)
stop_budget_daemon
if grep -q '^RESULT continue' <<<"$o1" && ! grep -q QUARANTINE <<<"$o1$o2" &&
    grep -q '^QUARANTINE relaymilter relay budget: relay:smtp.gmail.com msgs/min 3/2$' <<<"$o3" &&
    grep -q '^RESULT continue' <<<"$o3" &&
    grep -q '^REPLYCODE 451 4.7.0 relaymilter: the relay budget of relay:smtp.gmail.com is used up (msgs/min 3/2)' <<<"$o4"; then
	ok "over the budget: quarantined (hold); an MTA without quarantine gets 451 4.7.0 instead"
else not_ok "over the budget: quarantined, or 451 without quarantine" "$o1" "$o3" "$o4"; fi
if grep -q 'CLIB2: .*budget=2/2, budget_window=msgs/min, budget_key=relay:smtp.gmail.com, budget_warn=80, .*result=ok' "$B/daemon.log" &&
    grep -q 'CLIB2: relay budget warning: relay:smtp.gmail.com has used 2 of 2 msgs/min (100%, LimitWarn 80%)' "$B/daemon.log" &&
    grep -q 'CLIB3: .*budget=3/2, budget_window=msgs/min, budget_key=relay:smtp.gmail.com, budget_hold=over, .*result=hold' "$B/daemon.log" &&
    grep -q 'CLIB4: .*budget=3/2, .*result=tempfail' "$B/daemon.log" &&
    [ "$(grep -c 'relay budget warning' "$B/daemon.log")" = 1 ]; then
	ok "decision lines: budget=used/limit, the window and key, budget_warn once, result=hold"
else not_ok "decision lines of the budget" "$(cat "$B/daemon.log")"; fi
st=$B/state/budget.state
if [ -f "$st" ] && [ "$(stat -c %a "$st")" = 600 ] && grep -q '^h CLIB3 ' "$st" && [ "$(sed -n '$p' "$st")" = end ]; then
	ok "the state is kept in StateDirectory/budget.state (0600), with the held message"
else not_ok "the state file" "$(ls -l "$B/state")" "$(cat "$st" 2>&1)"; fi
out=$("$RM" -S -c "$B/good.conf" 2>&1); rc=$?
if [ $rc = 1 ] && grep -qE '^  msgs/min +2/2 +100%  full; room again from .* UTC \(in [0-9a-z]+\)' <<<"$out" &&
    grep -q '^held      1 message(s) in sendmail.s queue (quarantined); the oldest CLIB3' <<<"$out"; then
	ok "-S: used/limit, when there is room again, the held mail; exit 1 while mail is held"
else not_ok "-S after a hold" "exit $rc" "$out"; fi
# a restart reads it back: the next message is still over
start_budget_daemon
o5=$(send CLIB5)
stop_budget_daemon
if grep -q 'read .*budget.state: 2 key(s), 1 held message(s)' "$B/daemon.log" &&
    grep -q '^QUARANTINE relaymilter relay budget: relay:smtp.gmail.com msgs/min 3/2' <<<"$o5" &&
    grep -q 'CLIB5: .*budget=3/2, .*result=hold' "$B/daemon.log"; then
	ok "a restart keeps the counts and the held messages (the next one is 3/2 and held; a fresh start would say 1/2)"
else not_ok "a restart keeps the counts" "$o5" "$(cat "$B/daemon.log")"; fi

# ---- the releaser, against a stand-in sendmail
cat >"$B/sendmail" <<EOF2
#!/bin/sh
# a stand-in for sendmail: logs its arguments, answers as sendmail -v does
echo "\$*" >>"$B/sendmail.args"
case "\$*" in
*-Q*) [ -e "$B/sendmail.fail" ] && { echo "451 cannot lock the queue"; exit 75; }
      for a in "\$@"; do case \$a in -qI*) q=\${a#-qI}
	      case \$q in CLIB3) echo "\$q: Removed quarantine of \"relaymilter relay budget: x\"";;
	                  SKIP*) echo "Skipping \$q";;
	      esac;; esac; done;;
esac
exit 0
EOF2
chmod 755 "$B/sendmail"
cp "$st" "$B/state.orig"
# make the two held messages marked for release (as the daemon does when
# the window has room): MARKED (the 4th field) set
sed -i -e 's/^h CLIB3 \([0-9]*\) 0 /h CLIB3 \1 \1 /' -e 's/^h CLIB5 \([0-9]*\) 0 /h CLIB5 \1 \1 /' "$st"
sed -i '/^h CLIB5 /a h SKIP1 1 1 0 1 1 - - -' "$st"
out=$("$RM" -R -c "$B/good.conf" --sendmail "$B/sendmail" 2>&1); rc=$?
rel=$B/state/budget.released
if [ $rc = 0 ] && grep -q -- "-v -qQrelaymilter relay budget -Q -qICLIB3 -qICLIB5 -qISKIP1$" "$B/sendmail.args" &&
    grep -q -- "^-qf -qICLIB3$" "$B/sendmail.args" && [ "$(wc -l <"$B/sendmail.args")" = 2 ]; then
	ok "-R: lifts the quarantine of the marked messages, only relaymilter's (-qQ'relaymilter relay budget'), then delivers those it let go (-qf)"
else not_ok "-R: the sendmail command lines" "exit $rc" "$out" "$(cat "$B/sendmail.args")"; fi
if grep -qE '^r CLIB3 [0-9]+ released$' "$rel" && grep -qE '^r CLIB5 [0-9]+ gone$' "$rel" &&
    ! grep -q SKIP1 "$rel" && [ "$(stat -c %a "$rel")" = 644 ]; then
	ok "-R: budget.released says released, gone (not quarantined any more), and nothing of a skipped one"
else not_ok "-R: budget.released" "$(cat "$rel" 2>&1)" "$out"; fi
# the daemon takes the answer (at its next tick): CLIB3 counted and no
# longer held
start_budget_daemon
for _ in $(seq 1 200); do
	grep -q 'CLIB5: relay budget: no longer held' "$B/daemon.log" && break
	sleep 0.05
done
stop_budget_daemon
if grep -q 'CLIB3: relay budget: released from the relay budget hold after' "$B/daemon.log" &&
    grep -q 'CLIB5: relay budget: no longer held in the queue (released or removed by hand), counted as sent' "$B/daemon.log" &&
    ! grep -q '^h CLIB3 ' "$st"; then
	ok "the daemon reads budget.released: the released message is counted and no longer held"
else not_ok "the daemon reads budget.released" "$(cat "$B/daemon.log")" "$(cat "$st")"; fi
cp "$B/state.orig" "$st"; sed -i 's/^h CLIB3 \([0-9]*\) 0 /h CLIB3 \1 \1 /' "$st"; rm -f "$rel"
# one release at a time: the state directory is flock'ed while one runs
: >"$B/sendmail.args"
flock "$B/state" sleep 3 & flpid=$!
sleep 0.3
out=$("$RM" -R -c "$B/good.conf" --sendmail "$B/sendmail" 2>&1); rc=$?
wait "$flpid"
if [ $rc = 0 ] && [ -z "$out" ] && [ ! -s "$B/sendmail.args" ]; then
	ok "-R: while another release holds the state directory's lock, a second one exits 0 and runs nothing"
else not_ok "-R: a second release while one runs" "exit $rc" "$out" "$(cat "$B/sendmail.args")"; fi
# sendmail fails: nothing is said to the daemon, exit 1
touch "$B/sendmail.fail"
expect "-R: sendmail failing is an error (exit 1), the daemon is told nothing" 1 "sendmail -Q failed" \
	"$RM" -R -c "$B/good.conf" --sendmail "$B/sendmail"
[ ! -e "$rel" ] && ok "... and no budget.released is written" || not_ok "... and no budget.released is written" "$(cat "$rel")"
rm -f "$B/sendmail.fail"
# as root, the state file in the daemon user's directory is never followed
# through a link
if [ "$(id -u)" -eq 0 ]; then
	mv "$st" "$B/real.state"; ln -s "$B/real.state" "$st"
	expect "-R: a budget.state that is a symbolic link is refused" 1 "budget.state: cannot read: it is a symbolic link" \
		"$RM" -R -c "$B/good.conf" --sendmail "$B/sendmail"
	rm -f "$st"; mv "$B/real.state" "$st"
	# a link planted at the temporary name is not followed: budgetio makes
	# its own with O_EXCL
	echo untouched >"$B/victim"; ln -s "$B/victim" "$B/state/budget.released"
	"$RM" -R -c "$B/good.conf" --sendmail "$B/sendmail" >/dev/null 2>&1
	if [ "$(cat "$B/victim")" = untouched ] && [ -f "$rel" ] && [ ! -L "$rel" ]; then
		ok "-R: a link at budget.released is replaced, its target untouched"
	else not_ok "-R: a link at budget.released" "$(cat "$B/victim")" "$(ls -l "$B/state")"; fi
else
	skip "-R and links in the state directory" "needs root"
fi

# ---- a corrupt state file: logged, kept aside, a fresh start, never a crash
printf 'relaymilter budget state 1\nwritten 5\nk relay:x 0\nd 9 1 1\nd 3 1 1\nend\n' >"$st"
: >"$B/daemon.log"
start_budget_daemon
o6=$(send CLIB6)
stop_budget_daemon
if grep -q "budget.state:5: buckets out of time order: the state file is corrupt, kept as .*budget.state.corrupt; starting with no counts" "$B/daemon.log" &&
    [ -f "$st.corrupt" ] && grep -q '^RESULT continue' <<<"$o6" && grep -q 'CLIB6: .*budget=1/2' "$B/daemon.log"; then
	ok "a corrupt budget.state is logged with its line, kept as .corrupt, and the daemon starts fresh"
else not_ok "a corrupt budget.state" "$o6" "$(cat "$B/daemon.log")"; fi
mkdir -p "$B/cs"; printf 'relaymilter budget state 1\nwritten 5\nk %%zz 0\nend\n' >"$B/cs/budget.state"
sed "s|^StateDirectory .*|StateDirectory $B/cs|" "$B/good.conf" >"$B/cs.conf"
expect "-S: a corrupt state file is an error with its line (exit 2)" 2 \
	"cs/budget.state:3: the key is not a valid encoded string" "$RM" -S -c "$B/cs.conf"
rm -f "$st" "$st.corrupt"
# a StateDirectory that cannot be written (here: not a directory, which
# stops root too): logged, mail still flows
: >"$B/notadir"
sed "s|^StateDirectory .*|StateDirectory $B/notadir|" "$B/good.conf" >"$B/nd.conf"
"$RM" -f -c "$B/nd.conf" 2>"$B/nd.log" & ndpid=$!
for _ in $(seq 1 400); do grep -q 'starting on' "$B/nd.log" && break; sleep 0.05; done
o7=$(send CLIB7)
sleep 0.3
kill "$ndpid" 2>/dev/null; wait "$ndpid" 2>/dev/null
if grep -q 'relay budget: .*notadir/budget.state: cannot read: Not a directory: starting with no counts' "$B/nd.log" &&
    grep -q 'relay budget: the state is not kept (a restart would forget the counts): .*notadir: cannot create a file there: Not a directory' "$B/nd.log" &&
    grep -q '^RESULT continue' <<<"$o7" && [ "$(grep -c 'the state is not kept' "$B/nd.log")" = 1 ]; then
	ok "a StateDirectory that cannot be written is logged once; mail still flows"
else not_ok "an unwritable StateDirectory" "$o7" "$(cat "$B/nd.log")"; fi
