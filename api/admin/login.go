package admin

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/internal/auth"
	"github.com/ccgateway/ccgateway/internal/store"
)

// LoginRequest is a local admin's credentials.
type LoginRequest struct {
	Username string `json:"username" minLength:"1" maxLength:"128" example:"admin"`
	Password string `json:"password" minLength:"1" maxLength:"1024" example:"correct horse battery staple"`
}

// LoginResponse carries an admin JWT.
type LoginResponse struct {
	Token     string    `json:"token" doc:"Admin JWT; send as Authorization: Bearer <token>"`
	ExpiresAt time.Time `json:"expires_at"`
}

type loginInput struct{ Body LoginRequest }
type loginOutput struct{ Body LoginResponse }

func registerAdminLogin(hapi huma.API, s *server) {
	huma.Register(hapi, huma.Operation{
		OperationID: "admin-login", Method: http.MethodPost, Path: "/admin/login",
		Summary: "Log in as a local admin", Tags: []string{"admin"},
		Description: "Checks a local admin's password and returns a JWT for the admin API.",
		Errors:      []int{401, 422, 429},
	}, func(ctx context.Context, in *loginInput) (*loginOutput, error) {
		// The attempt is reserved before the password check, so concurrent guesses
		// cannot all pass a limiter that none of them has failed yet.
		res, p := s.ReserveAuthAttempt(api.CallerFrom(ctx).IP)
		if p != nil {
			return nil, p
		}
		tok, exp, err := s.login(ctx, in.Body.Username, in.Body.Password)
		if err != nil {
			if p := api.ToProblem(err); p.Status == http.StatusUnauthorized {
				s.auditAs(ctx, in.Body.Username, "admin.login_failed", "admin:"+in.Body.Username, nil, nil)
			} else {
				res.Succeeded() // not a wrong password: give the attempt back
			}
			return nil, err
		}
		res.Succeeded()
		s.auditAs(ctx, in.Body.Username, "admin.login", "admin:"+in.Body.Username, nil, nil)
		return &loginOutput{Body: LoginResponse{Token: tok, ExpiresAt: exp}}, nil
	})
}

// LogoutOutput is the empty answer of POST /admin/logout.
type logoutOutput struct{}

func registerAdminLogout(hapi huma.API, s *server) {
	huma.Register(hapi, huma.Operation{
		OperationID: "admin-logout", Method: http.MethodPost, Path: "/admin/logout",
		Summary: "Log out: revoke this admin's tokens", Tags: []string{"admin"}, Security: api.AdminSecurity,
		Description: "Revokes every token issued so far to the calling local admin (all its sessions), " +
			"as a password reset does. Tokens of an identity provider are revoked there: they get 400.",
		DefaultStatus: http.StatusNoContent,
		Errors:        []int{400, 401, 403, 429},
	}, func(ctx context.Context, _ *struct{}) (*logoutOutput, error) {
		c := api.CallerFrom(ctx)
		if !c.AdminLocal {
			return nil, api.NewProblem(http.StatusBadRequest, api.CodeInvalidRequest,
				"this token comes from an identity provider: revoke the session there")
		}
		if _, err := s.Store.RevokeAdminTokens(ctx, c.Admin); err != nil {
			return nil, err
		}
		s.auditAs(ctx, c.Admin, "admin.logout", "admin:"+c.Admin, nil, nil)
		return &logoutOutput{}, nil
	})
}

// login checks a local admin's password and issues a token.
func (s *server) login(ctx context.Context, username, password string) (string, time.Time, error) {
	bad := api.NewProblem(http.StatusUnauthorized, api.CodeUnauthorized, "wrong username or password")
	a, err := s.Store.GetAdminByUsername(ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		// Spend the same time as a real check so usernames cannot be probed.
		_, _ = auth.VerifyPassword(dummyHash(), password)
		return "", time.Time{}, bad
	}
	if err != nil {
		return "", time.Time{}, err
	}
	ok, err := auth.VerifyPassword(a.PasswordHash, password)
	if err != nil || !ok {
		return "", time.Time{}, bad
	}
	return s.Tokens.Issue(a.Username, a.TokenVersion, s.Config.AdminTokenTTL)
}

// dummyHash is a valid hash of a random password, used for unknown usernames.
var dummyHash = sync.OnceValue(func() string {
	h, _ := auth.HashPassword("not-a-real-password-" + time.Now().String())
	return h
})
