package warc

// SetCDXBounds sets the external sort's bounds for a test and returns a
// func that restores them.
func SetCDXBounds(runBytes, maxRuns int) (restore func()) {
	rb, mr := cdxRunBytes, cdxMaxRuns
	cdxRunBytes, cdxMaxRuns = runBytes, maxRuns
	return func() { cdxRunBytes, cdxMaxRuns = rb, mr }
}
