#!/usr/bin/env bash
# Copies the browser libraries the app serves (GraphiQL, React, YASGUI) from node_modules/ (after `npm ci`, versions
# pinned in package-lock.json) into api/static/vendor/, with their licences and versions, so that the Python package
# serves them itself: no page of `dxkb serve` loads anything from a CDN. Run by .ci/install; rerun after npm ci.
set -euo pipefail
cd "$(dirname "$0")/.."
src=node_modules
dest=api/static/vendor
for f in graphiql/graphiql.min.js graphiql/graphiql.min.css react/umd/react.production.min.js \
         react-dom/umd/react-dom.production.min.js @zazuko/yasgui/build/yasgui.min.js \
         @zazuko/yasgui/build/yasgui.min.css; do
  [ -f "$src/$f" ] || { echo "vendor.sh: $src/$f is missing: run npm ci first" >&2; exit 1; }
done
rm -rf "$dest"
mkdir -p "$dest/graphiql" "$dest/react" "$dest/yasgui"
cp "$src/graphiql/graphiql.min.js" "$src/graphiql/graphiql.min.css" "$dest/graphiql/"
cp "$src/graphiql/LICENSE" "$dest/graphiql/LICENSE"
cp "$src/react/umd/react.production.min.js" "$src/react-dom/umd/react-dom.production.min.js" "$dest/react/"
cp "$src/react/LICENSE" "$dest/react/react.LICENSE"
cp "$src/react-dom/LICENSE" "$dest/react/react-dom.LICENSE"
cp "$src/@zazuko/yasgui/build/yasgui.min.js" "$src/@zazuko/yasgui/build/yasgui.min.css" "$dest/yasgui/"
# @zazuko/yasgui ships no LICENSE file; its package.json says MIT (https://github.com/zazuko/Yasgui/blob/main/LICENSE).
cat > "$dest/yasgui/LICENSE" <<'LICENSE'
@zazuko/yasgui (https://github.com/zazuko/Yasgui), a fork of Triply's YASGUI: MIT licence ("license": "MIT" in its
package.json; the package ships no licence file of its own).

The MIT License (MIT)

Copyright (c) Triply B.V. and the Zazuko contributors

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated
documentation files (the "Software"), to deal in the Software without restriction, including without limitation the
rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to
permit persons to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial portions of the
Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE
WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR
COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
LICENSE
node -e '
const fs = require("fs");
const names = ["graphiql", "react", "react-dom", "@zazuko/yasgui"];
const lines = names.map(n => `${n} ${JSON.parse(fs.readFileSync(`node_modules/${n}/package.json`)).version}`);
fs.writeFileSync(process.argv[1], lines.join("\n") + "\n");' "$dest/VERSION"
echo "vendored into $dest: $(tr '\n' ' ' < "$dest/VERSION")"
