#!/bin/sh
# install-deps.sh - install the Debian packages listed in $DEPS that are missing
#
# Idempotent: does nothing (and needs no network) when every package is
# installed. Otherwise runs `apt-get update` once and installs the missing
# ones non-interactively, without their recommends (sendmail-base's would
# bring postfix-mta-sts-resolver, a daemon listening on a port). A
# temporary policy-rc.d keeps package scripts from starting system daemons
# (sendmail, dnsmasq, opendkim, opendmarc, prometheus) on this machine; it is removed again unless it
# existed before, and the services the installation enabled at boot are
# disabled again: this is a test machine's tool set, not a mail server.
# sendmail-bin replaces any other MTA (exim4, postfix...): when one is
# installed and sendmail is not, it refuses unless DEPS_REPLACE_MTA=yes.
set -eu

: "${DEPS:?DEPS must list the packages}"
missing=""
for p in $DEPS; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "deps: all $(echo $DEPS | wc -w) packages installed"
	exit 0
fi
echo "deps: installing:$missing"
case " $missing " in
*" sendmail-bin "*)
	other=$(dpkg-query -W -f='${Status} ${Package} ${Provides}\n' 2>/dev/null |
		awk '/^install ok installed/ && /mail-transport-agent/ &&
		     $4 !~ /^sendmail/ { print $4 }' | tr '\n' ' ')
	if [ -n "$other" ] && [ "${DEPS_REPLACE_MTA:-}" != yes ]; then
		echo "deps: REFUSING: the tests need sendmail-bin, which would" \
			"remove the installed MTA: $other" >&2
		echo "deps: make deps is meant for a test machine; to replace" \
			"it anyway: make deps DEPS_REPLACE_MTA=yes" >&2
		exit 1
	fi;;
esac
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "deps: not root and no sudo; install these packages:$missing" >&2
		exit 1
	fi
fi
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
	$SUDO chmod 755 "$policy"
	made_policy=1
fi
cleanup() { [ "$made_policy" = 1 ] && $SUDO rm -f "$policy"; return 0; }
trap cleanup EXIT
enabled() {	# the unit files enabled at boot, one a line
	ls /etc/systemd/system/*.wants/ 2>/dev/null | grep -v ':$' | sort -u
}
before=$(enabled)
export DEBIAN_FRONTEND=noninteractive
# opendmarc (the recipient MX of tests/dmarcworld runs its own instance)
# would ask dbconfig-common to set up a MySQL database for its reports:
# answer no, rather than let it fail against a server that is not there
case " $missing " in
*" opendmarc "*)
	echo "opendmarc opendmarc/dbconfig-install boolean false" |
		$SUDO debconf-set-selections ;;
esac
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
# disable at boot what this installation enabled (sendmail, prometheus...)
for u in $(enabled); do
	case " $(echo $before) " in *" $u "*) continue;; esac
	echo "deps: disabling $u at boot (installed for the tests only)"
	$SUDO systemctl disable --no-reload "$u" >/dev/null 2>&1 ||
		$SUDO rm -f /etc/systemd/system/*.wants/"$u"
done
