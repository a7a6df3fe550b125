package engine_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shardis/shardis/shardd/internal/shardtest"
)

func TestPubSubDelivery(t *testing.T) {
	ctx := context.Background()
	srv := shardtest.Start(t)
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			cl := redis.NewClient(&redis.Options{Addr: srv.Addr, Protocol: proto})
			defer cl.Close()
			sub := cl.Subscribe(ctx, "news")
			defer sub.Close()
			if _, err := sub.Receive(ctx); err != nil { // the subscription confirmation
				t.Fatal(err)
			}
			psub := cl.PSubscribe(ctx, "ne*")
			defer psub.Close()
			if _, err := psub.Receive(ctx); err != nil {
				t.Fatal(err)
			}
			pub := srv.Client(t)
			if n, err := pub.Publish(ctx, "news", "hello").Result(); err != nil || n != 2 {
				t.Fatalf("PUBLISH = %d, %v; want 2 receivers", n, err)
			}
			msg, err := sub.ReceiveMessage(ctx)
			if err != nil || msg.Channel != "news" || msg.Payload != "hello" {
				t.Errorf("subscriber got %+v, %v", msg, err)
			}
			pmsg, err := psub.ReceiveMessage(ctx)
			if err != nil || pmsg.Pattern != "ne*" || pmsg.Channel != "news" || pmsg.Payload != "hello" {
				t.Errorf("pattern subscriber got %+v, %v", pmsg, err)
			}
			if n, _ := pub.Publish(ctx, "other", "x").Result(); n != 0 {
				t.Errorf("PUBLISH to a channel nobody hears = %d", n)
			}
			chans, _ := pub.PubSubChannels(ctx, "*").Result()
			if strings.Join(chans, ",") != "news" {
				t.Errorf("PUBSUB CHANNELS = %v", chans)
			}
			if n, _ := pub.PubSubNumPat(ctx).Result(); n != 1 {
				t.Errorf("PUBSUB NUMPAT = %d", n)
			}
			if m, _ := pub.PubSubNumSub(ctx, "news", "none").Result(); m["news"] != 1 || m["none"] != 0 {
				t.Errorf("PUBSUB NUMSUB = %v", m)
			}
		})
	}
}

func TestShardedPubSub(t *testing.T) {
	ctx := context.Background()
	srv := shardtest.Start(t)
	cl := srv.Client(t)
	sub := cl.SSubscribe(ctx, "orders")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := cl.SPublish(ctx, "orders", "42").Result(); err != nil || n != 1 {
		t.Fatalf("SPUBLISH = %d, %v", n, err)
	}
	msg, err := sub.ReceiveMessage(ctx)
	if err != nil || msg.Channel != "orders" || msg.Payload != "42" {
		t.Errorf("got %+v, %v", msg, err)
	}
	if n, _ := cl.Publish(ctx, "orders", "x").Result(); n != 0 {
		t.Errorf("PUBLISH reached a shard channel subscriber")
	}
	if m, _ := cl.PubSubShardNumSub(ctx, "orders").Result(); m["orders"] != 1 {
		t.Errorf("PUBSUB SHARDNUMSUB = %v", m)
	}
}

// rawSubscriber speaks RESP2 directly, to check exact bytes and order.
func TestSubscribedModeRESP2(t *testing.T) {
	srv := shardtest.Start(t)
	c, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprint(c, "SUBSCRIBE a b\r\nPING\r\nPING hi\r\nGET a\r\nUNSUBSCRIBE a\r\nUNSUBSCRIBE\r\nUNSUBSCRIBE\r\nGET a\r\n")
	want := "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n" +
		"*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n" +
		"*2\r\n$4\r\npong\r\n$0\r\n\r\n" +
		"*2\r\n$4\r\npong\r\n$2\r\nhi\r\n" +
		"-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n" +
		"*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n" +
		"*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:0\r\n" +
		"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n" +
		"$-1\r\n"
	got := make([]byte, 0, len(want))
	buf := make([]byte, 4096)
	for len(got) < len(want) {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("read after %q: %v", got, err)
		}
		got = append(got, buf[:n]...)
	}
	if string(got) != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

// A subscriber that never reads is disconnected at the pubsub output
// buffer limit; the publisher and everybody else carry on.
func TestSlowSubscriberIsDisconnected(t *testing.T) {
	ctx := context.Background()
	srv := shardtest.Start(t, "client-output-buffer-limit pubsub 1mb 512kb 60")
	c, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprint(c, "SUBSCRIBE flood\r\n")
	pub := srv.Client(t)
	for pub.PubSubNumSub(ctx, "flood").Val()["flood"] != 1 {
		time.Sleep(10 * time.Millisecond)
	}
	payload := strings.Repeat("x", 64*1024)
	deadline := time.Now().Add(20 * time.Second)
	for pub.PubSubNumSub(ctx, "flood").Val()["flood"] == 1 {
		if time.Now().After(deadline) {
			t.Fatal("slow subscriber still connected after 20s of flooding")
		}
		if err := pub.Publish(ctx, "flood", payload).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := pub.Ping(ctx).Err(); err != nil {
		t.Errorf("server unhealthy after dropping the subscriber: %v", err)
	}
}
