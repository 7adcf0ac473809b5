#!/usr/bin/env sh
# Refresh the embedded LiteLLM price snapshot from the litellm wheel on PyPI.
#
#   crates/pricing/data/refresh.sh            # latest litellm
#   crates/pricing/data/refresh.sh 1.109.1    # a given version
#
# Rewrites litellm_prices.json, LITELLM_LICENSE, VERSION and DATE next to this script.
# Afterwards: update the version/date lines in README.md, then run
# `cargo test -p tokenworth-pricing` (name-resolution tests pin table keys and prices
# and may need adjusting when LiteLLM renames or reprices models).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

spec=litellm
if [ "${1:-}" != "" ]; then
    spec="litellm==$1"
fi
pip download "$spec" --no-deps --only-binary=:all: -d "$tmp" >&2

python3 - "$tmp" "$here" <<'PY'
import glob, json, os, sys, zipfile

tmp, here = sys.argv[1], sys.argv[2]
wheels = glob.glob(os.path.join(tmp, "litellm-*.whl"))
if len(wheels) != 1:
    sys.exit(f"expected one litellm wheel in {tmp}, found {wheels}")
version = os.path.basename(wheels[0]).split("-")[1]
with zipfile.ZipFile(wheels[0]) as z:
    names = z.namelist()
    member = "litellm/model_prices_and_context_window_backup.json"
    data = z.read(member)
    built = "%04d-%02d-%02d" % z.getinfo(member).date_time[:3]
    json.loads(data)  # must be valid JSON
    licences = [n for n in names if ".dist-info/" in n and os.path.basename(n) in ("LICENSE", "LICENSE.txt", "LICENSE.md")]
    if not licences:
        sys.exit("no LICENSE in the wheel's dist-info")
    licence = z.read(licences[0])
with open(os.path.join(here, "litellm_prices.json"), "wb") as f:
    f.write(data)
with open(os.path.join(here, "LITELLM_LICENSE"), "wb") as f:
    f.write(licence)
with open(os.path.join(here, "VERSION"), "w") as f:
    f.write(f"litellm-{version}\n")
with open(os.path.join(here, "DATE"), "w") as f:
    f.write(f"{built}\n")
print(f"litellm {version} (built {built}): {len(json.loads(data))} entries written to {here}")
PY
