#!/bin/sh
# install-deps.sh - install the Debian packages listed in $DEPS that are missing
#
# Idempotent: does nothing (and needs no network) when every package is
# installed. Otherwise runs `apt-get update` once and installs the missing
# ones non-interactively. A temporary policy-rc.d keeps package scripts from
# starting system daemons (sendmail, dnsmasq, opendkim, opendmarc) on this
# machine; it is removed again unless it existed before. The tests run
# their own instances of these, with their own configuration.
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
$SUDO apt-get install -y -q $missing
