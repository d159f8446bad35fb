package main

import (
	"context"
	"log/slog"
)

// lazyHandler keeps attributes as given and hands them to the inner handler
// only for a record that is written.
type lazyHandler struct {
	inner slog.Handler
	attrs []slog.Attr
}

func (h lazyHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

func (h lazyHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.inner.WithAttrs(h.attrs).Handle(ctx, r)
}

func (h lazyHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return lazyHandler{inner: h.inner, attrs: append(h.attrs[:len(h.attrs):len(h.attrs)], attrs...)}
}

func (h lazyHandler) WithGroup(name string) slog.Handler {
	return lazyHandler{inner: h.inner.WithAttrs(h.attrs).WithGroup(name)}
}
