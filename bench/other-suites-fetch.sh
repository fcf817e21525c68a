#!/usr/bin/env bash
# Fetches the test files of other projects' suites that bench/other-suites.ts reads, at the commits its figures
# in docs/benchmarks.md were measured on, into a folder (default /tmp/suites): one folder per project with an
# ORIGIN.json and the files at their paths in that repository. The files are not copied into this repository:
# their licences are their projects'.
# Run: bash bench/other-suites-fetch.sh [folder]
#      (QUIRE_SUITES_GIT='/mirrors/{owner}+{name}' reads local clones instead of github.com)
set -euo pipefail
out=${1:-/tmp/suites}
github='https://github.com/{owner}/{name}.git'
pattern=${QUIRE_SUITES_GIT:-$github}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# project  owner/name  commit  paths (an extended regular expression)  [paths left out]
take() {
  local project=$1 repo=$2 commit=$3 paths=$4 skip=${5:-'^$'}
  local url=${pattern//\{owner\}/${repo%/*}}
  url=${url//\{name\}/${repo#*/}}
  local git="$work/$project.git"
  git clone --quiet --bare --filter=blob:none "$url" "$git"
  mkdir -p "$out/$project"
  printf '{"repo":"%s","commit":"%s"}\n' "$repo" "$commit" >"$out/$project/ORIGIN.json"
  git --git-dir="$git" ls-tree -r --name-only "$commit" | grep -E "$paths" | grep -vE "$skip" | while read -r path; do
    mkdir -p "$out/$project/$(dirname "$path")"
    git --git-dir="$git" show "$commit:$path" >"$out/$project/$path"
  done
  echo "$project: $(find "$out/$project" -type f ! -name ORIGIN.json ! -name '*.js' | wc -l) files"
}

take py-pdf-sample-files py-pdf/sample-files 6921079eb3e1ed0944db5ec75016910d59da7fdb '^0[0-9]{2}-[^/]+/[^/]+\.pdf$' '/GeoTopo\.pdf$'
take pdfplumber jsvine/pdfplumber 147f2c4c07dc1191fc1d05bb589b4f6af3aaf74a '^tests/pdfs/[^/]+\.pdf$'
take pandoc jgm/pandoc 0a9a2f261510322ee5a33a2a7facce54b8a718ec '^test/(docx/[^/]+\.docx|epub/[^/]+\.epub|[^/]+\.html)$'
take uchardet freedesktop/uchardet bdfd6116a965fd210ef563613763e724424728b7 '^test/[a-z]+/[^/]+\.txt$'
take charset_normalizer jawah/charset_normalizer 017c75c267b6d0bb04d9db0c1115ea7184b97059 '^data/sample-[^/]+\.txt$'
take markitdown microsoft/markitdown a51f725d7ff4cdfe3bb6ad2ce2c04d98bf5f1f00 '^packages/markitdown/tests/test_files/[^/]+\.(pdf|docx|epub|html)$'
take subtitleedit SubtitleEdit/subtitleedit 5c98fbdf9dac8e400b962910075c97b97eb3f919 '^tests/(libse/Files|seconv/Fixtures)/[^/]+\.(srt|vtt)$'
take webvtt-py glut23/webvtt-py 2f78325d96f260540fe4ba729d3624daaf3f9be6 '^tests/subtitles/[^/]+\.(srt|vtt)$'
take node-webvtt osk/node-webvtt 8dae70d49c4c1d5ba8f04a651a499c9aecc2c92c '^test/data/[^/]+\.vtt$'
# The WebVTT file-parsing tests of web-platform-tests, with the cues each .vtt must give in its .js.
take webvtt.js w3c/webvtt.js 986949ecadd60411ae889c4520d4d2a9847d9fb7 '^test/wpt-file-parsing/[^/]+\.(vtt|js)$'
take epubcheck w3c/epubcheck 82b174ec319ea3e6c9d2488f84155fa4a9171fc2 '\.epub$'

# charset_normalizer names each sample's encoding in its test table, not in the file name.
python3 - "$out/charset_normalizer/ORIGIN.json" "$(git --git-dir="$work/charset_normalizer.git" show 017c75c267b6d0bb04d9db0c1115ea7184b97059:tests/test_full_detection.py)" <<'PY'
import json, re, sys
origin = json.load(open(sys.argv[1]))
origin['encodings'] = {'data/' + f: c for f, c in re.findall(r'\("(sample-[^"]+)", "([^"]+)", "[A-Za-z]+"\)', sys.argv[2])}
origin['encodingsFrom'] = 'tests/test_full_detection.py'
json.dump(origin, open(sys.argv[1], 'w'), indent=1)
PY
