package access

import "fmt"

// Role is what a token may do; roles are ordered, each one allowing what
// the weaker ones allow.
type Role int

const (
	// Anonymous is no token at all: the published data, where the service
	// is public.
	Anonymous Role = iota
	// Viewer reads published data where the service requires a login.
	Viewer
	// Editor also imports, reverts imports and reads raw values.
	Editor
	// Admin also reads the audit log and manages the catalogue and indices.
	Admin
)

var roleNames = [...]string{Anonymous: "anonymous", Viewer: "viewer", Editor: "editor", Admin: "admin"}

func (r Role) String() string {
	if r < 0 || int(r) >= len(roleNames) {
		return fmt.Sprintf("Role(%d)", int(r))
	}
	return roleNames[r]
}

// ParseRole reads a token's role; anonymous is no role a token can have.
func ParseRole(s string) (Role, error) {
	switch s {
	case "viewer":
		return Viewer, nil
	case "editor":
		return Editor, nil
	case "admin":
		return Admin, nil
	}
	return Anonymous, fmt.Errorf("role %q: use viewer, editor or admin", s)
}

// MarshalText writes the role's name, for JSON.
func (r Role) MarshalText() ([]byte, error) { return []byte(r.String()), nil }
