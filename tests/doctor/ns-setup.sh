#!/bin/sh
# ns-setup.sh - run a user's set-up and the doctor inside private namespaces
#
# CONTRACT: called as
#   unshare -mnup --fork --propagation private ns-setup.sh HOST_MNT HOST_NET \
#       HOST_UTS WORK HOSTNAME -- CMD...
# where HOST_* are the namespace ids (`readlink /proc/self/ns/X`) the caller
# read before unsharing and WORK is a /tmp/rm-doctor.* directory. Refuses to
# change anything (exit 3) unless its own mnt, net and uts namespaces are all
# non-empty and differ from those ids. Then: loopback up (the namespace has
# no other network), host name set to HOSTNAME, and /etc, /var and /usr
# covered by overlay mounts whose upper directories are WORK/over/{etc,var,
# usr} (what the set-up writes there, prepared by setups.py; whatever a
# command changes lands there too: the host's files are never touched,
# and the script checks that each overlay took before going on), with
# /etc/mail the set-up's alone (WORK/over/etc/mail bound over it); empty
# queues (tmpfs on /var/spool/mqueue and mqueue-client, whatever the host
# has queued); WORK/bin put first in PATH (the test's stand-ins, e.g. a
# systemctl that only records its arguments), WORK exported. Then, in
# order, every line of WORK/commands
# run with sh -c in /etc/mail (the set-up's own commands, then a fix's),
# output to WORK/commands.log, each line's status appended to it, a failing
# line not stopping the others (as a user types them); WORK/pre run with sh
# in the background when it exists (a stand-in server), waiting up to 10 s
# for it to create WORK/pre.ready; CMD exec'ed. This script is pid 1 of its
# own pid namespace: when CMD ends the kernel kills whatever PRE started.
set -eu
[ $# -ge 6 ] || { echo "usage: ns-setup.sh MNT NET UTS WORK HOSTNAME -- CMD..." >&2; exit 2; }
HOST_MNT=$1 HOST_NET=$2 HOST_UTS=$3 WORK=$4 NAME=$5
shift 5
[ "$1" = "--" ] && shift
for pair in "mnt $HOST_MNT" "net $HOST_NET" "uts $HOST_UTS"; do
	set -- $pair "$@"
	kind=$1 host=${2:-}
	shift 2
	mine=$(readlink "/proc/self/ns/$kind" || true)
	if [ -z "$host" ] || [ -z "$mine" ] || [ "$mine" = "$host" ]; then
		echo "ns-setup: REFUSING: $kind namespace is not private ($mine)" >&2
		exit 3
	fi
done
case $WORK in /tmp/rm-doctor.*) ;; *) echo "ns-setup: REFUSING: $WORK" >&2; exit 3 ;; esac
ip link set lo up
hostname "$NAME"
for top in /etc /var /usr; do
	o=$WORK/over$top
	mkdir -p "$o" "$WORK/over$top.work"
	mount -t overlay "rm-doctor${top#/}" \
		-o "lowerdir=$top,upperdir=$o,workdir=$WORK/over$top.work" "$top"
	[ "$(stat -f -c %T "$top")" = overlayfs ] ||
		{ echo "ns-setup: the overlay on $top did not take" >&2; exit 4; }
done
# /etc/mail is the set-up's alone (the host's stock files would show
# through the overlay): its upper directory bound over it, as the world does
if [ -d "$WORK/over/etc/mail" ]; then
	mount --bind "$WORK/over/etc/mail" /etc/mail
fi
for q in /var/spool/mqueue /var/spool/mqueue-client; do
	mkdir -p "$q"
	mount -t tmpfs -o size=8m rm-doctor-queue "$q"
done
chmod 0700 /var/spool/mqueue
chgrp smmsp /var/spool/mqueue-client 2>/dev/null && chmod 2770 /var/spool/mqueue-client
PATH="$WORK/bin:$PATH"
export PATH WORK
if [ -f "$WORK/commands" ]; then
	: >>"$WORK/commands.log"
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		echo "== $line" >>"$WORK/commands.log"
		rc=0
		(cd /etc/mail 2>/dev/null || cd /; sh -c "$line") \
		    >>"$WORK/commands.log" 2>&1 </dev/null || rc=$?
		echo "== exit $rc" >>"$WORK/commands.log"
	done <"$WORK/commands"
fi
if [ -f "$WORK/pre" ]; then
	rm -f "$WORK"/pre.ready*
	sh "$WORK/pre" >"$WORK/pre.log" 2>&1 &
	n=0
	while [ ! -e "$WORK/pre.ready" ] && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
fi
exec "$@"
