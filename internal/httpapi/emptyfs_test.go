package httpapi_test

import (
	"io/fs"
	"testing/fstest"
)

// emptyFS is a web build with no files, as in a fresh clone.
type emptyFS = fstest.MapFS

var _ fs.FS = emptyFS{}
