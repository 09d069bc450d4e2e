#!/bin/sh
# One-shot (temporalio/admin-tools): makes sure the namespace exists and the project's custom search attributes are
# registered in it, before the API and the worker start. Safe to re-run: only what is missing is created, and an
# attribute that exists with another type stops the job (visibility would reject the workflows' upserts).
# Keep SEARCH_ATTRIBUTES in step with contracts/search-attributes.ts (the app also adds missing ones at start).
set -eu

ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
RETENTION="${TEMPORAL_NAMESPACE_RETENTION:-720h}"
SETTLE_SECONDS="${SEARCH_ATTRIBUTES_SETTLE_SECONDS:-15}"

SEARCH_ATTRIBUTES='
IoIpaCode Keyword
IoComuneName Text
IoProvince Keyword
IoStage Keyword
IoScenario Keyword
IoDeadline Datetime
IoServicesActive Int
IoServicesTotal Int
IoAtRisk Bool
IoLate Bool
IoFundingAtRiskEur Double
IoServiceStatus Keyword
IoFundingSecuredEur Double
IoFundingLostEur Double
IoStageSince Datetime
'

# As in the official compose scripts: dial the service's IPv4 address, not a name that may resolve to IPv6 first.
host="${ADDRESS%:*}"
port="${ADDRESS##*:}"
ip="$(getent ahostsv4 "$host" | awk 'NR == 1 { print $1 }')"
[ -n "$ip" ] && ADDRESS="$ip:$port"

retry() { # retry ATTEMPTS command...
  attempts="$1"
  shift
  n=1
  until "$@"; do
    if [ "$n" -ge "$attempts" ]; then
      echo "failed after $attempts attempts: $*" >&2
      return 1
    fi
    n=$((n + 1))
    sleep 3
  done
}

t() { temporal "$@" --address "$ADDRESS"; }
lower() { echo "$1" | tr '[:upper:]' '[:lower:]' | sed -e 's/^indexed_value_type_//' -e 's/_//g'; }

echo "Waiting for the Temporal frontend at $ADDRESS..."
retry 40 t operator cluster health >/dev/null

if t operator namespace describe -n "$NAMESPACE" >/dev/null 2>&1; then
  echo "Namespace '$NAMESPACE' exists"
else
  echo "Creating namespace '$NAMESPACE' (retention $RETENTION)"
  # A concurrent creation is fine: describe again before giving up.
  t operator namespace create -n "$NAMESPACE" --retention "$RETENTION" ||
    t operator namespace describe -n "$NAMESPACE" >/dev/null
fi

# A namespace just created takes a few seconds to reach every service's cache: retry the first listing.
existing="$(retry 20 t operator search-attribute list -n "$NAMESPACE")"

create_args=""
added=""
# shellcheck disable=SC2086 # split the table into name/type pairs
set -- $SEARCH_ATTRIBUTES
while [ "$#" -ge 2 ]; do
  name="$1"
  type="$2"
  shift 2
  # The listing is a table, one "Name Type" line per attribute.
  current="$(echo "$existing" | awk -v n="$name" '$1 == n { print $2 }')"
  if [ -z "$current" ]; then
    create_args="$create_args --name $name --type $type"
    added="$added $name"
  elif [ "$(lower "$current")" != "$(lower "$type")" ]; then
    echo "Search attribute $name exists as $current, expected $type: fix it by hand" >&2
    exit 1
  fi
done

if [ -z "$added" ]; then
  echo "Search attributes already registered in '$NAMESPACE'"
  exit 0
fi

echo "Registering search attributes in '$NAMESPACE':$added"
# shellcheck disable=SC2086 # create_args is a list of flags
retry 10 t operator search-attribute create -n "$NAMESPACE" $create_args
# Services cache namespace metadata: give them time to see the new attributes before the worker upserts them.
sleep "$SETTLE_SECONDS"
echo "Search attributes registered"
