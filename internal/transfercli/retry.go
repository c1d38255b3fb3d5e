package transfercli

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/artifortress/artifortress/internal/admincli"
)

// retryDelays are the waits before the second, third and fourth attempt of
// a retried request (each shortened by up to half, at random, so parallel
// parts do not retry in lockstep). Tests shorten them.
var retryDelays = []time.Duration{500 * time.Millisecond, 2 * time.Second, 5 * time.Second}

// retry runs attempt until it succeeds, fails with an error that is not
// worth retrying, or has been retried len(retryDelays) times.
func retry(ctx context.Context, attempt func() error) error {
	for i := 0; ; i++ {
		err := attempt()
		if err == nil || i >= len(retryDelays) || !retryable(ctx, err) {
			return err
		}
		d := retryDelays[i]
		d -= time.Duration(rand.Int64N(int64(d)/2 + 1))
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return err
		}
	}
}

// retryable: the request got no answer, or a 5xx one, and the command has
// not been cancelled.
func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var te *admincli.TransportError
	var ae *admincli.APIError
	switch {
	case errors.As(err, &te):
		return true
	case errors.As(err, &ae):
		return ae.Status >= 500
	}
	return false
}
