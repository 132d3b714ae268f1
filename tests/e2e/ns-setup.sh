#!/bin/sh
# ns-setup.sh - prepare the inside of the end-to-end world's namespaces
#
# CONTRACT: run by world.py through `nsenter -t HOLDER -m -n -u` as
#   ns-setup.sh DIR HOST_MNT HOST_NET HOST_UTS [HOSTNAME [overlay]]
# where HOST_* are the namespace ids (`readlink /proc/self/ns/X`) that the
# caller read for itself BEFORE the holder unshared. The script refuses to
# do anything (exit 3) unless its own mnt, net and uts namespaces are all
# non-empty and different from those host ids: every change below (hostname,
# addresses, firewall rules, mounts) is meant for the private namespaces
# only and would damage the host otherwise.
#
# Inside it: brings lo up with the world's test addresses, sets the host
# name (HOSTNAME, default mta.test), loads the nftables table `e2e` (empty
# input chain `in`, where black-holed ports are added later: the packet is
# sent, nobody gets it), mounts a private /dev (null, zero, random,
# urandom, tty, shm; /dev/log then belongs to the world's syslog catcher),
# and bind-mounts the world's files over the stock Debian paths, so that
# sendmail, its MSP and relaymilter run with the paths of a stock box:
#   DIR/root/etc/{mail,passwd,group,hosts,resolv.conf}   -> /etc/...
#   DIR/root/var/{spool/mqueue,spool/mqueue-client,lib/sendmail,mail} -> /var/...
#   DIR/root/run -> /run
# With "overlay" (worlds that run a user's own configuration, world.py's
# setup=), /etc, /var and /usr are first covered by overlay mounts whose
# upper directories are DIR/overlay/{etc,var,usr}/upper: whatever such a
# configuration writes there (/etc/relaymilter, /var/lib/relaymilter,
# /etc/aliases.db, /var/log/mail/statistics, a local mailer the box has
# and this one lacks ...) lands in DIR, and the host's /etc, /var and /usr
# are only read. The bind mounts above go on top of them.
# Each bind mount is verified (same device and inode as its source). Any
# failure stops the script with a non-zero status (set -e).
set -eu

if [ $# -lt 4 ] || [ $# -gt 6 ]; then
	echo "usage: ns-setup.sh DIR HOST_MNT HOST_NET HOST_UTS [HOSTNAME [overlay]]" >&2
	exit 2
fi
DIR=$1
HOST_MNT=$2
HOST_NET=$3
HOST_UTS=$4
NAME=${5:-mta.test}
OVERLAY=${6:-}
case $NAME in
''|-*|*[!A-Za-z0-9.-]*) echo "ns-setup: bad host name: $NAME" >&2; exit 2 ;;
esac
case $OVERLAY in
''|overlay) ;;
*) echo "ns-setup: the 6th argument is 'overlay' or nothing" >&2; exit 2 ;;
esac

refuse() {
	echo "ns-setup: REFUSING: $*" >&2
	exit 3
}

# --- the guard: nothing is changed before this passes
for pair in "mnt $HOST_MNT" "net $HOST_NET" "uts $HOST_UTS"; do
	set -- $pair
	kind=$1 host=${2:-}
	mine=$(readlink "/proc/self/ns/$kind" || true)
	[ -n "$host" ] || refuse "no host id given for the $kind namespace"
	[ -n "$mine" ] || refuse "cannot read my own $kind namespace id"
	[ "$mine" != "$host" ] || refuse "the $kind namespace is the host's ($mine)"
done
case $DIR in
/*) ;;
*) refuse "DIR must be absolute: $DIR" ;;
esac
[ -f "$DIR/.relaymilter-e2e-world" ] || refuse "$DIR is not a world directory"

# --- network: loopback only, with the world's addresses
ip link set lo up
# 127.0.0.0/8 is local already; TEST-NET addresses for the "LAN" and the
# "internet" clients are added on lo.
ip addr add 192.0.2.1/24 dev lo      # the box's LAN address (mta.test)
ip addr add 192.0.2.10/32 dev lo     # untrusted LAN host (printer)
ip addr add 192.0.2.20/32 dev lo     # trusted LAN host (phone system)
ip addr add 203.0.113.10/32 dev lo   # external client on the internet
hostname "$NAME"

nft -f - <<'EOF'
table inet e2e {
	chain in {
		type filter hook input priority 0; policy accept;
	}
}
EOF

# --- a private /dev
mount -t tmpfs -o mode=0755,size=1m,nosuid e2e-dev /dev
mknod -m 0666 /dev/null c 1 3
mknod -m 0666 /dev/zero c 1 5
mknod -m 0666 /dev/random c 1 8
mknod -m 0666 /dev/urandom c 1 9
mknod -m 0666 /dev/tty c 5 0
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
mkdir -m 1777 /dev/shm
mount -t tmpfs -o mode=1777,size=16m,nosuid,nodev e2e-shm /dev/shm

# --- private copies of /etc, /var and /usr (a user's configuration writes there)
if [ "$OVERLAY" = overlay ]; then
	for top in /etc /var /usr; do
		o=$DIR/overlay${top}
		[ -d "$o/upper" ] && [ -d "$o/work" ] ||
			{ echo "ns-setup: $o/upper or $o/work is missing" >&2; exit 4; }
		mount -t overlay "e2e-overlay${top#/}" \
			-o "lowerdir=$top,upperdir=$o/upper,workdir=$o/work" "$top"
		# nothing may be written through to the host's $top
		[ "$(stat -f -c %T "$top")" = overlayfs ] ||
			{ echo "ns-setup: the overlay on $top did not take" >&2; exit 4; }
	done
fi

# --- the world's files over the stock paths
bind() {
	src=$DIR/root$1 dst=$1
	mount --bind "$src" "$dst"
	[ "$(stat -c %d:%i "$src")" = "$(stat -c %d:%i "$dst")" ] ||
		{ echo "ns-setup: bind mount of $dst did not take" >&2; exit 4; }
}
for p in /etc/mail /etc/passwd /etc/group /etc/hosts /etc/resolv.conf \
    /var/spool/mqueue /var/spool/mqueue-client /var/lib/sendmail \
    /var/mail /run; do
	[ -e "$p" ] || { echo "ns-setup: $p is missing on this system" >&2; exit 4; }
	bind "$p"
done
echo "ns-setup: ok $(readlink /proc/self/ns/net)"
