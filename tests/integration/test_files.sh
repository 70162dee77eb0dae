#!/usr/bin/env bash
# FilesSource over HTTP: files and rows of tricky CSVs this test writes into its own
# AAM_SOURCES_ROOT (quoted commas, doubled quotes, newlines inside quotes, CRLF, UTF-8, a BOM,
# empty, header-only, ragged rows, 200,000 rows for paging), row counts that follow file
# changes, and every escape attempt refused without reading the target: "..", encoded "..",
# absolute paths outside, a symlinked folder out of the root, symlinked files inside the folder,
# a hard link to a file outside;
# a folder deleted or swapped for a symlink later answers 409; other tenants get 404.
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"

need_migrated
TMP=$(mktemp -d /tmp/aam-files.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
TMP=$(realpath "$TMP")
SRC=$TMP/src D=$TMP/src/data OUT=$TMP/outside
mkdir -p "$D" "$OUT" "$SRC/movable" "$SRC/swap" "$D/sub.csv" "$SRC/linked"
echo 'secret,value' >"$OUT/secret.csv"; echo 'TOPSECRET,1' >>"$OUT/secret.csv"

printf 'id,name,notes\n1,"Acme, Inc.","said ""hi"""\n2,Zürich 🚀,"line one\nline two"\n3,"",plain\n' >"$D/quoted.csv"
printf 'a,b\r\n1,2\r\n"x\r\ny",3\r\n' >"$D/crlf.csv"
: >"$D/empty.csv"
printf 'only,a,header\n' >"$D/header_only.csv"
printf 'a,b,c\n1\n1,2,3,4\n\n5,6,7\n' >"$D/ragged.csv"
printf '\xef\xbb\xbfid,name\n1,x\n' >"$D/bom.csv"
{ echo 'n,square'; seq 0 199999 | awk '{print $1 "," $1*$1}'; } >"$D/big.csv"
echo 'not,csv' >"$D/notes.txt"
echo 'h' >"$D/.hidden.csv"
ln -s "$OUT/secret.csv" "$D/link_out.csv"
ln -s quoted.csv "$D/link_in.csv"
ln -s ../outside "$SRC/escape"
echo 'm' >"$SRC/movable/m.csv"
echo 's' >"$SRC/swap/s.csv"
# A hard link into a served folder from a file outside it: no right on the target's folder
# is needed to make one, and O_NOFOLLOW cannot see it.
echo 'own,1' >"$SRC/linked/own.csv"
ln "$OUT/secret.csv" "$SRC/linked/stolen.csv"

# The two tenants exist, and files-a is granted the folders it reads (ownership itself:
# test_tenant_boundary.sh).
export AAM_SOURCES_ROOT=$SRC
for ns in files-a files-b; do
  need "tenants create $ns" "$AAM_BIN" tenants create --namespace "$ns" --name "$ns"
done
for f in "$D" "$SRC/movable" "$SRC/swap" "$SRC/linked"; do
  need "sources grant $f" "$AAM_BIN" sources grant --namespace files-a "$f"
done
server_start || give_up "server start"
TA=$("$AAM_BIN" token --namespace files-a --sub alice)
TB=$("$AAM_BIN" token --namespace files-b --sub bob)
A=(-H "Authorization: Bearer $TA")
C=/api/v1/aam/connectors
create() {  # ID TYPE PATH [PATTERN]
  req POST "$C" "${A[@]}" -H 'Content-Type: application/json' --data-binary \
    "{\"id\":\"$1\",\"name\":\"$1\",\"type\":\"$2\",\"config\":{\"path\":\"$3\",\"pattern\":\"${4:-*.csv}\"}}"
}
no_secret() { ! grep -q TOPSECRET <<<"$BODY"; }

create fs filesource "$D"
expect_status 201 "create a filesource over the test folder"
create mov filesource "$SRC/movable"
create swp filesource "$SRC/swap"
req POST "$C" "${A[@]}" -H 'Content-Type: application/json' --data-binary \
  '{"id":"plain","name":"plain","type":"rest_api","config":{"base_url":"https://x.example"}}'
req POST "$C" "${A[@]}" -H 'Content-Type: application/json' --data-binary \
  "{\"id\":\"nopat\",\"name\":\"nopat\",\"type\":\"filesource\",\"config\":{\"path\":\"$D\"}}"
expect_status 201 "a filesource without a pattern"

# --- the files list
req GET "$C/fs/files" "${A[@]}"
expect_status 200 "list files"
expect_jq '[.files[].name] | join(",")' "big.csv,bom.csv,crlf.csv,empty.csv,header_only.csv,quoted.csv,ragged.csv" \
  "regular *.csv files directly inside, by name: no hidden, symlinked, directory or .txt entries"
expect_jq .total 7 "total 7"
expect_jq '.files[] | select(.name=="quoted.csv") | [.row_count, (.columns|join("|")), .size_bytes] | map(tostring) | join(" ")' \
  "3 id|name|notes $(stat -c %s "$D/quoted.csv")" "quoted.csv: 3 rows, its columns, its size in bytes"
expect_jq '.files[] | select(.name=="big.csv") | .row_count' 200000 "big.csv: 200000 rows"
expect_jq '.files[] | select(.name=="empty.csv") | [.row_count, (.columns|length)] | map(tostring) | join(" ")' "0 0" "empty.csv: no columns, 0 rows"
expect_jq '.files[] | select(.name=="header_only.csv") | [.row_count, (.columns|join("|"))] | map(tostring) | join(" ")' "0 only|a|header" "header_only.csv: columns, 0 rows"
expect_jq '.files[] | select(.name=="bom.csv") | .columns[0]' id "the byte order mark is not part of the first column"
expect_jq '.files[] | select(.name=="ragged.csv") | .row_count' 3 "ragged.csv: 3 rows (the blank line is not one)"
req GET "$C/nopat/files" "${A[@]}"
expect_jq .total 7 "…lists the *.csv files"
req GET "$C/fs/files?limit=2&offset=1" "${A[@]}"
expect_jq '[([.files[].name] | join(",")), .total] | map(tostring) | join(" ")' "bom.csv,crlf.csv 7" "the files list pages too"

# --- rows
req GET "$C/fs/files/quoted.csv/rows" "${A[@]}"
expect_status 200 "rows of quoted.csv"
expect_jq '.columns == ["id","name","notes"] and .total == 3' true "columns and total"
expect_jq '.rows[0] == {"id":"1","name":"Acme, Inc.","notes":"said \"hi\""}' true "quoted comma and doubled quotes"
expect_jq '.rows[1] == {"id":"2","name":"Zürich 🚀","notes":"line one\nline two"}' true "UTF-8 and a newline inside quotes"
expect_jq '.rows[2].name' "" "an empty quoted value is an empty string"
req GET "$C/fs/files/crlf.csv/rows" "${A[@]}"
expect_jq '.rows == [{"a":"1","b":"2"},{"a":"x\r\ny","b":"3"}]' true "CRLF line ends; a CRLF inside quotes is kept"
req GET "$C/fs/files/ragged.csv/rows" "${A[@]}"
expect_jq '.rows == [{"a":"1","b":"","c":""},{"a":"1","b":"2","c":"3"},{"a":"5","b":"6","c":"7"}]' true \
  "ragged rows: missing cells are empty strings, extra cells dropped"
req GET "$C/fs/files/empty.csv/rows" "${A[@]}"
expect_jq '. == {"columns":[],"rows":[],"total":0}' true "an empty file"
req GET "$C/fs/files/header_only.csv/rows" "${A[@]}"
expect_jq '. == {"columns":["only","a","header"],"rows":[],"total":0}' true "a header-only file"
req GET "$C/fs/files/big.csv/rows?offset=1000&limit=3" "${A[@]}"
expect_jq '.rows == [{"n":"1000","square":"1000000"},{"n":"1001","square":"1002001"},{"n":"1002","square":"1004004"}] and .total == 200000' \
  true "offset=1000&limit=3 of 200,000 rows; values are strings"
req GET "$C/fs/files/big.csv/rows" "${A[@]}"
expect_jq '.rows | length' 50 "default page of 50 rows"
req GET "$C/fs/files/big.csv/rows?limit=500&offset=199990" "${A[@]}"
expect_jq '[(.rows | length), .rows[0].n] | map(tostring) | join(" ")' "10 199990" "the last page is short"
req GET "$C/fs/files/big.csv/rows?offset=300000" "${A[@]}"
expect_jq '[(.rows | length), .total] | map(tostring) | join(" ")' "0 200000" "offset past the end"
for q in limit=0 limit=501 limit=x offset=-1 offset=; do
  req GET "$C/fs/files/big.csv/rows?$q" "${A[@]}"
  expect_status 422 "rows ?$q"
done

# --- counts follow the file
echo '200000,40000000000' >>"$D/big.csv"
req GET "$C/fs/files/big.csv/rows?limit=1" "${A[@]}"
expect_jq .total 200001 "a row appended to big.csv is counted"
req GET "$C/fs/files" "${A[@]}"
expect_jq '.files[] | select(.name=="big.csv") | .row_count' 200001 "…in the files list too"

# --- names that are not a file directly inside the folder, matching the pattern
for name in link_out.csv link_in.csv notes.txt .hidden.csv sub.csv missing.csv; do
  req GET "$C/fs/files/$name/rows" "${A[@]}"
  expect_status 404 "rows of $name"
  check "…reads nothing of the target" no_secret
done
for path in "$C/fs/files/../../../outside/secret.csv/rows" "$C/fs/files/%2e%2e/rows" \
  "$C/fs/files/..%2foutside%2fsecret.csv/rows" "$C/fs/files/%2E%2E%2F%2E%2E%2Foutside%2Fsecret.csv/rows" \
  "$C/fs/files/$OUT/secret.csv/rows" "$C/fs/files/secret.csv%00.csv/rows" "$C/fs/files/.../rows"; do
  req GET "$path" "${A[@]}"
  check "GET $path is refused (HTTP $STATUS)" test "$STATUS" = 400 -o "$STATUS" = 404 -o "$STATUS" = 422
  check "…reads nothing outside" no_secret
done

# --- a file with a second hard link is not served (under either name)
create lnk filesource "$SRC/linked"
expect_status 201 "a filesource over a folder holding a hard link"
req GET "$C/lnk/files" "${A[@]}"
expect_jq '[.files[].name] | join(",")' own.csv "the hard-linked file is not listed"
check "…and nothing of it shows" no_secret
req GET "$C/lnk/files/stolen.csv/rows" "${A[@]}"
expect_status 404 "rows of the hard-linked file"
check "…read nothing of it" no_secret
req GET "$C/lnk/files/own.csv/rows" "${A[@]}"
expect_status 200 "rows of the folder's own file"

# --- other tenants and other types
req GET "$C/fs/files" -H "Authorization: Bearer $TB"
expect_status 404 "another tenant's connector has no files for you"
req GET "$C/fs/files/quoted.csv/rows" -H "Authorization: Bearer $TB"
expect_status 404 "…nor rows"
req GET "$C/plain/files" "${A[@]}"
expect_status 409 "a non-filesource connector's files"
req GET "$C/plain/files/quoted.csv/rows" "${A[@]}"
expect_status 409 "…and rows"
req GET "$C/nope/files" "${A[@]}"
expect_status 404 "files of a missing connector"

# --- the folder changes under a stored connector
req GET "$C/mov/files" "${A[@]}"
expect_status 200 "the movable folder lists"
rm -rf "$SRC/movable"
req GET "$C/mov/files" "${A[@]}"
expect_status 409 "the folder deleted later"
check "409 is problem+json" grep -qi '^content-type: application/problem+json' "$HDRS"
req GET "$C/mov/files/m.csv/rows" "${A[@]}"
expect_status 409 "…rows too"
rm -rf "$SRC/swap"
ln -s ../outside "$SRC/swap"
cp "$OUT/secret.csv" "$OUT/s.csv"
req GET "$C/swp/files" "${A[@]}"
expect_status 409 "the folder swapped for a symlink out of the root"
check "…lists nothing of the outside" sh -c "! grep -q 'secret.csv' <<'X'
$BODY
X"
req GET "$C/swp/files/s.csv/rows" "${A[@]}"
expect_status 409 "…and its rows are refused"
check "…reading nothing" no_secret

# --- the sources root itself is refused a folder out of it at write time
create esc filesource "$SRC/escape"
expect_status 422 "a filesource whose folder is a symlink out of the root"
create abs filesource "$OUT"
expect_status 422 "a filesource with an absolute path outside"
create dots filesource "$D/../../outside"
expect_status 422 "a filesource with .. out of the root"

finish
