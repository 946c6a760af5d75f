// Package web holds nflsync's live page and its JavaScript client
// (nflsync.js), embedded into the binary. The page needs no build step.
package web

import (
	"embed"
	"net/http"
)

//go:embed index.html app.js nflsync.js style.css
var files embed.FS

// StaticHandler serves the live page at "/" and its files beside it. Mount
// it at "/" next to the WebSocket handler at "/ws".
func StaticHandler() http.Handler {
	fileServer := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The files change with each build, so a browser revalidates
		// them instead of keeping an old client.
		w.Header().Set("Cache-Control", "no-cache")
		fileServer.ServeHTTP(w, r)
	})
}
