package source

import "errors"

// MaxProblems bounds how many input problems one failed import lists: the
// first twenty show what is wrong; a thousand more would hide it.
const MaxProblems = 20

// Problems collects the input errors of one import, up to MaxProblems, so
// that a bad file is reported feature by feature rather than by its first
// fault alone.
type Problems []error

// Add keeps e unless MaxProblems are kept already.
func (p *Problems) Add(e *Error) {
	if len(*p) < MaxProblems {
		*p = append(*p, e)
	}
}

// Err joins the problems into one error; nil when there are none.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return errors.Join(p...)
}
