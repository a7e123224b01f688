#!/bin/sh
# doc/rules.md's rule list must be what `make rules-doc` writes from patterns/.
set -eu
top=${top_srcdir:-.}
"${MAGPIE:-./magpie}" rules list --format json "$top/patterns" |
	python3 "$top/scripts/rules-doc" "$top/doc/rules.md" --check
