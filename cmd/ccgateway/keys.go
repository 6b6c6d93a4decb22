package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"

	"github.com/ccgateway/ccgateway/internal/auth"
	"github.com/ccgateway/ccgateway/internal/config"
	"github.com/ccgateway/ccgateway/internal/gateway"
	"github.com/ccgateway/ccgateway/internal/store"
)

// cmdMigrate applies the migrations and exits.
func cmdMigrate(ctx context.Context, e *env, args []string) error {
	cfg, err := config.Load("ccgateway migrate", args, e.vars, e.stderr, nil)
	if err != nil {
		return err
	}
	st, err := gateway.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(e.stdout, "migrations applied (%s)\n", gateway.StoreKind(cfg))
	return nil
}

// newKeyJSON is what `keys create --json` prints; the secret appears only here.
type newKeyJSON struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Key       string    `json:"key"`
	Prefix    string    `json:"prefix"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
}

func cmdKeys(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return errors.New("keys: want a subcommand: create or list")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "create":
		return keysCreate(ctx, e, args)
	case "list":
		return keysList(ctx, e, args)
	}
	return fmt.Errorf("keys: unknown subcommand %q (want create or list)", sub)
}

func keysCreate(ctx context.Context, e *env, args []string) error {
	var name string
	var asJSON bool
	cfg, err := config.Load("ccgateway keys create", args, e.vars, e.stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&name, "name", "", "the key's name (required)")
		fs.BoolVar(&asJSON, "json", false, "print the new key as JSON")
	})
	if err != nil {
		return err
	}
	if strings.TrimSpace(name) == "" {
		return errors.New("keys create: --name is required")
	}
	st, err := gateway.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	gen, err := auth.GenerateKey()
	if err != nil {
		return err
	}
	k := &store.APIKey{
		ID: uuid.NewString(), Name: name, Prefix: gen.Prefix, Hash: gen.Hash, Status: store.KeyActive,
		Permissions: store.Permissions{AllowStreaming: true},
	}
	if err := st.CreateAPIKey(ctx, k); err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(newKeyJSON{ID: k.ID, Name: k.Name, Key: gen.Secret, Prefix: k.Prefix, Status: k.Status, CreatedAt: k.CreatedAt})
	}
	fmt.Fprintf(e.stdout, "Created API key %q (id %s).\nKey (shown once, store it now):\n\n  %s\n\n", k.Name, k.ID, gen.Secret)
	return nil
}

func keysList(ctx context.Context, e *env, args []string) error {
	cfg, err := config.Load("ccgateway keys list", args, e.vars, e.stderr, nil)
	if err != nil {
		return err
	}
	st, err := gateway.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tKEY\tSTATUS\tCREATED\tLAST USED")
	for offset := 0; ; {
		keys, total, err := st.ListAPIKeys(ctx, store.KeyFilter{Limit: 200, Offset: offset})
		if err != nil {
			return err
		}
		for _, k := range keys {
			last := "never"
			if k.LastUsedAt != nil {
				last = k.LastUsedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Prefix, k.Status, k.CreatedAt.Format(time.RFC3339), last)
		}
		offset += len(keys)
		if len(keys) == 0 || offset >= total {
			break
		}
	}
	return tw.Flush()
}

// cmdAdmin manages local admin users.
func cmdAdmin(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "set-password" {
		return errors.New("admin: want: admin set-password --username U (reads the password from stdin)")
	}
	var username string
	cfg, err := config.Load("ccgateway admin set-password", args[1:], e.vars, e.stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&username, "username", "admin", "the admin's user name")
	})
	if err != nil {
		return err
	}
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return errors.New("admin set-password: no password on stdin")
	}
	password := strings.TrimRight(line, "\r\n")
	if len(password) < 8 {
		return errors.New("admin set-password: the password must be at least 8 characters")
	}
	st, err := gateway.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := gateway.SetAdminPassword(ctx, st, username, password); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "password set for admin %q\n", username)
	return nil
}
