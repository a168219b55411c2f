/**
 * The two demo servers behind {@code ./gort echo-server} and {@code ./gort http-hello}: the
 * netpoller's model in its plainest form, one goroutine per connection, each blocking read or
 * write parking only that goroutine. They are also the subjects of the loopback benchmarks
 * ({@code benchmarks/net/}).
 */
package dev.gort.net.demo;
