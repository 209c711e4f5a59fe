#!/usr/bin/env bash
# Proves docs/zed-drop-in.md: builds the product crate alone, outside this workspace, the way it
# would sit in Zed's tree (crates/openai_subscribed next to crates/language_model, crates/ui, …),
# against the stand-ins only: no emulator, no command line, none of their dependencies. Then
# checks that the product's direct dependencies are exactly the list the document gives.
#
#   bash scripts/check-drop-in.sh
#
# The scratch tree shares this workspace's target directory, so the dependencies it has in common
# with the workspace build are not compiled again. Its workspace root is the folder above `zed/`:
# cargo names a path crate's artifacts by its path relative to the workspace root, and the
# stand-ins at `crates/ui` (say) in both trees would overwrite each other's artifacts, making every
# later test build compile them, and everything above them, again.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
export PATH="$HOME/.cargo/bin:$PATH"

doc=docs/zed-drop-in.md
# The product's own crate and the stand-ins it names (the only path dependencies allowed).
stand_ins=(credentials_provider icons language_model theme ui)

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
tree="$scratch/zed"
mkdir -p "$tree/crates/openai_subscribed"

# The product: its sources and the fixtures its unit tests include, nothing else.
cp -R Cargo.toml src "$tree/crates/openai_subscribed/"
mkdir -p "$tree/crates/openai_subscribed/tests/fixtures"
cp -R tests/fixtures/real "$tree/crates/openai_subscribed/tests/fixtures/"
for crate in "${stand_ins[@]}"; do
  cp -R "crates/$crate" "$tree/crates/$crate"
done

# Zed's workspace: this one's [workspace] tables, with path dependencies pointing into the
# scratch tree, and the members being the product and the stand-ins (its manifest sits above
# `zed/`, see the top).
python3 - "$tree" "${stand_ins[@]}" <<'EOF'
import re, sys, pathlib
tree = pathlib.Path(sys.argv[1])
stand_ins = sys.argv[2:]
product = (tree / "crates/openai_subscribed/Cargo.toml").read_text()
# The workspace tables (everything before the product's [package]).
workspace, package = product.split("\n[package]\n", 1)
workspace = re.sub(r'members = \[[^\]]*\]', 'members = ["zed/crates/*"]', workspace)
lines = []
for line in workspace.splitlines():
    name = line.split("=", 1)[0].strip()
    if 'path = "' in line:
        # Only the stand-ins stay; the emulator, the command line and the product itself go.
        if name not in stand_ins:
            continue
        line = re.sub(r'path = "crates/([^"]+)"', r'path = "zed/crates/\1"', line)
    lines.append(line)
# Build profiles live in the workspace root: the same ones as here, so that the dependencies
# this workspace already built are reused rather than compiled again.
profiles = "\n".join(re.findall(r'(?ms)^\[profile[^\n]*\]\n[^\[]*', package))
(tree.parent / "Cargo.toml").write_text("\n".join(lines) + "\n" + profiles + "\n")
# The product's manifest: its package and dependency tables only. Targets that need files left
# behind (benches, integration tests) are not part of the library build.
package = "[package]\n" + package
package = re.sub(r'\n\[dev-dependencies\]\n.*?(?=\n\[)', '\n', package, flags=re.S)
package = re.sub(r'(?m)^\[\[(bench|test)\]\]\n[^\[]*', '', package)
package = re.sub(r'(?m)^\[profile[^\n]*\]\n[^\[]*', '', package)
package += "\n[lib]\ntest = false\ndoctest = false\nbench = false\n"
package = package.replace("[package]\n", "[package]\nautobenches = false\nautotests = false\nautoexamples = false\n", 1)
(tree / "crates/openai_subscribed/Cargo.toml").write_text(package)
EOF
cp Cargo.lock "$scratch/Cargo.lock"

echo "drop-in: building the product alone against the stand-ins in $tree"
(
  cd "$scratch"
  CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}" cargo build --quiet -p openai_subscribed --lib
)

# The direct (normal) dependencies, as cargo resolves them in that tree.
actual="$(
  cd "$scratch"
  cargo tree --quiet -p openai_subscribed -e normal --depth 1 --prefix none --format '{p}' \
    | tail -n +2 | awk '{print $1}' | sort -u
)"
# The list the document gives: the crate names in backquotes before the colon of each item
# between its two markers.
documented="$(
  sed -n '/<!-- drop-in-dependencies:start -->/,/<!-- drop-in-dependencies:end -->/p' "$doc" \
    | grep -E '^- `' | sed -E 's/: .*//' | grep -oE '`[A-Za-z0-9_-]+`' | tr -d '`' | sort -u
)"
if [ -z "$documented" ]; then
  echo "drop-in: $doc has no dependency list between its markers" >&2
  exit 1
fi
if [ "$actual" != "$documented" ]; then
  echo "drop-in: the product's dependencies differ from $doc:" >&2
  diff <(echo "$documented") <(echo "$actual") | sed 's/^</  documented only:/; s/^>/  actual only:    /' >&2
  exit 1
fi
for forbidden in clap env_logger axum tokio reqwest zed-reqwest openai_subscribed_emulator; do
  if grep -qx "$forbidden" <<<"$actual"; then
    echo "drop-in: the product depends on $forbidden" >&2
    exit 1
  fi
done
echo "drop-in: the product builds alone; its $(wc -l <<<"$actual") dependencies are the documented ones"
