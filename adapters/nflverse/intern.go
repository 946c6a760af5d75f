package nflverse

import (
	"sync"

	"github.com/nflsync/nflsync/messages"
)

// statValues are the shared Stat messages of one stats column, by value as
// written in the file.
type statValues struct {
	zero   *messages.Stat
	small  [100]*messages.Stat       // for "1" to "99"
	values map[string]*messages.Stat // other integers and text
}

// maxSharedValues bounds the values map of one column. A column that
// exceeds it starts a new map, so that a long-running process does not
// keep every value it ever read.
const maxSharedValues = 1 << 14

// sharedStatValues are the value tables of every column, kept from one
// stats file to the next.
var sharedStatValues = struct {
	sync.Mutex
	columns map[string]*statValues // by file column name and stat name
}{columns: make(map[string]*statValues)}

// borrowStatValues returns a function that gives the value table of a file
// column and its stat name, and a function that ends the borrowing. The
// tables are the shared ones unless another read holds them, in which case
// they are new and used by this read alone.
func borrowStatValues() (valuesOf func(header, name string) *statValues, release func()) {
	if !sharedStatValues.TryLock() {
		return newStatValues, func() {}
	}

	valuesOf = func(header, name string) *statValues {
		key := header + "/" + name
		values, ok := sharedStatValues.columns[key]
		if !ok || len(values.values) > maxSharedValues {
			values = newStatValues(header, name)
			sharedStatValues.columns[key] = values
		}
		return values
	}
	return valuesOf, sharedStatValues.Unlock
}

func newStatValues(_, name string) *statValues {
	return &statValues{
		zero:   &messages.Stat{Name: name, Value: "0"},
		values: make(map[string]*messages.Stat),
	}
}
