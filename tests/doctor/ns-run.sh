#!/bin/sh
# ns-run.sh - run one command inside private namespaces for the doctor suite
#
# CONTRACT: called as
#   unshare -mnu --propagation private ns-run.sh HOST_MNT HOST_NET HOST_UTS \
#       DIR HOSTNAME PRE -- CMD...
# where HOST_* are the namespace ids (`readlink /proc/self/ns/X`) the caller
# read before unsharing. Refuses to change anything (exit 3) unless its own
# mnt, net and uts namespaces are all non-empty and differ from those ids.
# Then: loopback up (the namespace has no other network), host name set to
# HOSTNAME, DIR/hosts bind-mounted over /etc/hosts (private mount namespace),
# PRE run with sh -c when not empty (e.g. queue a message), and CMD exec'ed.
set -eu
[ $# -ge 7 ] || { echo "usage: ns-run.sh MNT NET UTS DIR HOSTNAME PRE -- CMD..." >&2; exit 2; }
HOST_MNT=$1 HOST_NET=$2 HOST_UTS=$3 DIR=$4 NAME=$5 PRE=$6
shift 6
[ "$1" = "--" ] && shift
for pair in "mnt $HOST_MNT" "net $HOST_NET" "uts $HOST_UTS"; do
	set -- $pair "$@"
	kind=$1 host=${2:-}
	shift 2
	mine=$(readlink "/proc/self/ns/$kind" || true)
	if [ -z "$host" ] || [ -z "$mine" ] || [ "$mine" = "$host" ]; then
		echo "ns-run: REFUSING: $kind namespace is not private ($mine)" >&2
		exit 3
	fi
done
case $DIR in /tmp/rm-doctor.*) ;; *) echo "ns-run: REFUSING: $DIR" >&2; exit 3 ;; esac
ip link set lo up
hostname "$NAME"
mount --bind "$DIR/hosts" /etc/hosts
cd "$DIR"
if [ -n "$PRE" ]; then sh -c "$PRE" >"$DIR/pre.log" 2>&1; fi
exec "$@"
