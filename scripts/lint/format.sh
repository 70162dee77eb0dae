#!/bin/sh
# clang-format dry run over the C sources and tests: fails when a file differs from what
# .clang-format would write (make format rewrites them). The folders are make format's.
set -eu
cd "$(dirname "$0")/../.."
command -v clang-format >/dev/null || { echo "lint: clang-format is missing (make deps installs it)" >&2; exit 1; }
find util server db tests -name '*.[ch]' -not -path '*/node_modules/*' -print0 | sort -z |
  xargs -0 clang-format --dry-run --Werror
