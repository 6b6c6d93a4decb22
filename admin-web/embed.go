// Package adminweb serves the admin console (the Vite build of this folder, in
// dist/) at /console/ and the API reference at /docs, both from files embedded in
// the binary, so that neither needs the internet. `make build` runs the Vite build
// before `go build`; the committed dist/placeholder.txt keeps `go build` working
// when the console has not been built (the console then answers 503 and says how
// to build it).
package adminweb

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Files is the embedded build output: index.html, assets/ and docs/.
func Files() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embed directive guarantees dist exists
	}
	return sub
}
