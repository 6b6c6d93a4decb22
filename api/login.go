package api

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"

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

func registerAdminLogin(api huma.API, s *server) {
	huma.Register(api, huma.Operation{
		OperationID: "admin-login", Method: http.MethodPost, Path: "/admin/login",
		Summary: "Log in as a local admin", Tags: []string{"admin"},
		Description: "Checks a local admin's password and returns a JWT for the admin API.",
	}, func(ctx context.Context, in *loginInput) (*loginOutput, error) {
		bad := problem(http.StatusUnauthorized, CodeUnauthorized, "wrong username or password")
		a, err := s.Store.GetAdminByUsername(ctx, in.Body.Username)
		if errors.Is(err, store.ErrNotFound) {
			// Spend the same time as a real check so usernames cannot be probed.
			_, _ = auth.VerifyPassword(dummyHash(), in.Body.Password)
			return nil, bad
		}
		if err != nil {
			return nil, err
		}
		ok, err := auth.VerifyPassword(a.PasswordHash, in.Body.Password)
		if err != nil || !ok {
			return nil, bad
		}
		tok, exp, err := s.Tokens.Issue(a.Username, s.Config.AdminTokenTTL)
		if err != nil {
			return nil, err
		}
		return &loginOutput{Body: LoginResponse{Token: tok, ExpiresAt: exp}}, nil
	})
}

// dummyHash is a valid hash of a random password, used for unknown usernames.
var dummyHash = sync.OnceValue(func() string {
	h, _ := auth.HashPassword("not-a-real-password-" + time.Now().String())
	return h
})
