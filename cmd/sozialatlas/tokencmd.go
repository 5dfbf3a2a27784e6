package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/sozialatlas/sozialatlas/geo/web/access"
)

func tokenCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"token what? 'token create --name N --role R', 'token list' or 'token revoke ID|NAME'"}
	}
	switch args[0] {
	case "create":
		return tokenCreateCmd(ctx, args[1:], stdout, stderr)
	case "list":
		return tokenListCmd(ctx, args[1:], stdout, stderr)
	case "revoke":
		return tokenRevokeCmd(ctx, args[1:], stdout, stderr)
	}
	return usageError{fmt.Sprintf("token %q: use 'token create', 'token list' or 'token revoke'", args[0])}
}

func tokenCreateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var db dbFlags
	var name, roleName string
	fs := newFlagSet("token create", stderr)
	db.register(fs)
	fs.StringVar(&name, "name", "", "name of the token, e.g. the person or program holding it (required)")
	fs.StringVar(&roleName, "role", "viewer", "viewer (read where login is required), editor (imports, raw values) or admin (tokens, catalogue, indices, audit log)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || name == "" {
		return usageError{"token create: give --name (and --role), no arguments"}
	}
	role, err := access.ParseRole(roleName)
	if err != nil {
		return usageError{"token create: " + err.Error()}
	}
	return withDB(ctx, db, stderr, "warn", func(d *database) error {
		tok, secret, err := createToken(ctx, access.NewTokens(d.pool), access.NewAudit(d.pool), cliActor(), name, role)
		if err != nil {
			return err
		}
		// The secret goes to stdout alone, so that scripts can capture it;
		// the advice to keep it goes to stderr.
		fmt.Fprintf(stderr, "token %d %q (%s) created; it is shown only now, keep it safe\n", tok.ID, tok.Name, tok.Role)
		_, err = fmt.Fprintln(stdout, secret)
		return err
	})
}

func tokenListCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var db dbFlags
	var asJSON bool
	fs := newFlagSet("token list", stderr)
	db.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print the tokens as JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{"token list takes no arguments"}
	}
	return withDB(ctx, db, stderr, "warn", func(d *database) error {
		list, err := access.NewTokens(d.pool).List(ctx)
		if err != nil {
			return err
		}
		if asJSON {
			if list == nil {
				list = []access.Token{}
			}
			return printJSON(stdout, list)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tROLE\tCREATED\tLAST USED\tREVOKED")
		for _, t := range list {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Role, t.CreatedAt.Local().Format(time.DateTime),
				timeOrDash(t.LastUsedAt), timeOrDash(t.RevokedAt))
		}
		return tw.Flush()
	})
}

func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Local().Format(time.DateTime)
}

func tokenRevokeCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var db dbFlags
	fs := newFlagSet("token revoke ID|NAME", stderr)
	db.register(fs)
	arg, err := parseOne(fs, args, "token revoke: give exactly one token ID or NAME (see 'sozialatlas token list')")
	if err != nil {
		return err
	}
	return withDB(ctx, db, stderr, "warn", func(d *database) error {
		tok, err := revokeToken(ctx, access.NewTokens(d.pool), access.NewAudit(d.pool), cliActor(), arg)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "token %d %q (%s) revoked\n", tok.ID, tok.Name, tok.Role)
		return err
	})
}

// createToken makes a token and records it in the audit log as actor's
// doing, a failed attempt too: the command line and POST /tokens both
// create tokens through it.
func createToken(ctx context.Context, tokens *access.Tokens, audit *access.Audit, actor, name string, role access.Role) (access.Token, string, error) {
	tok, secret, err := tokens.Create(ctx, name, role)
	e := access.Entry{Actor: actor, Action: "token create", Detail: tokenDetail(tok)}
	// The entry is written although the request may have gone away: the
	// token may exist by now.
	if err := record(context.WithoutCancel(ctx), audit, e, err); err != nil {
		return tok, "", err
	}
	return tok, secret, nil
}

// revokeToken revokes the token named by id or name and records it in the
// audit log as actor's doing, a failed attempt too.
func revokeToken(ctx context.Context, tokens *access.Tokens, audit *access.Audit, actor, idOrName string) (access.Token, error) {
	tok, err := tokens.Revoke(ctx, idOrName)
	e := access.Entry{Actor: actor, Action: "token revoke", Detail: tokenDetail(tok)}
	return tok, record(context.WithoutCancel(ctx), audit, e, err)
}

// tokenDetail describes a token in the audit log; never with its secret.
func tokenDetail(t access.Token) string {
	return fmt.Sprintf("token %d %q, role %s", t.ID, t.Name, t.Role)
}

func auditCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var db dbFlags
	var asJSON bool
	var after int64
	var limit int
	fs := newFlagSet("audit", stderr)
	db.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print the entries as JSON")
	fs.Int64Var(&after, "after", 0, "only entries after this id")
	fs.IntVar(&limit, "limit", 1000, "at most this many entries")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || limit <= 0 {
		return usageError{"audit takes no arguments and a positive --limit"}
	}
	return withDB(ctx, db, stderr, "warn", func(d *database) error {
		list, err := access.NewAudit(d.pool).List(ctx, after, limit)
		if err != nil {
			return err
		}
		if asJSON {
			if list == nil {
				list = []access.Entry{}
			}
			return printJSON(stdout, list)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tAT\tACTOR\tACTION\tFILE\tBATCH\tROWS\tOUTCOME\tDETAIL")
		for _, e := range list {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.At.Local().Format(time.DateTime), e.Actor,
				e.Action, e.File, intOrDash(e.Batch), intOrDash(e.Rows), e.Outcome, e.Detail)
		}
		return tw.Flush()
	})
}

func intOrDash(n *int64) string {
	if n == nil {
		return "-"
	}
	return strconv.FormatInt(*n, 10)
}

// cliActor names the person at the command line in the audit log: the
// operating system's account, which is who ran the command, whatever
// database role the connection string names.
func cliActor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	if name := os.Getenv("USER"); name != "" {
		return "cli:" + name
	}
	return "cli:unknown"
}
