package testserver

import (
	"strconv"
	"strings"
	"testing"
)

// TestStartRedisCluster: three nodes split the slots; each says the
// cluster is whole, and a key lives on the node of its slot (another
// node answers MOVED to it).
func TestStartRedisCluster(t *testing.T) {
	c := StartRedisCluster(t, 3)
	if len(c.Nodes) != 3 || c.Slots[0][0] != 0 || c.Slots[2][1] != clusterSlots-1 {
		t.Fatalf("got %d nodes, slots %v; want 3 covering 0–16383", len(c.Nodes), c.Slots)
	}
	for _, r := range c.Nodes {
		info, err := redisCommand(r.Addr, "CLUSTER", "INFO")
		if err != nil || !clusterReady(info, 3) {
			t.Errorf("%s: CLUSTER INFO = %q, %v; want a ready cluster of 3", r.Addr, info, err)
		}
	}
	// Hash tags: {a}x and {a}y share a slot, whatever follows the tag.
	sa, err := c.Slot("{a}x")
	if err != nil {
		t.Fatal(err)
	}
	if sb, _ := c.Slot("{a}y"); sa != sb {
		t.Errorf("Slot({a}x) = %d, Slot({a}y) = %d; want equal", sa, sb)
	}
	for _, key := range []string{"k0", "k1", "k2", "k3", "k4", "k5"} {
		i, err := c.NodeOf(key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := redisCommand(c.Nodes[i].Addr, "SET", key, "v"); err != nil {
			t.Errorf("SET %s on its node %d: %v", key, i, err)
		}
		other := (i + 1) % 3
		_, err = redisCommand(c.Nodes[other].Addr, "GET", key)
		slot, _ := c.Slot(key)
		if err == nil || !strings.Contains(err.Error(), "MOVED "+strconv.Itoa(slot)+" "+c.Nodes[i].Addr) {
			t.Errorf("GET %s on node %d: %v; want MOVED %d %s", key, other, err, slot, c.Nodes[i].Addr)
		}
	}
	if got, want := c.URL(), "redis://"+c.Nodes[0].Addr+"?addr="+c.Nodes[1].Addr+"&addr="+c.Nodes[2].Addr; got != want {
		t.Errorf("URL() = %q; want %q", got, want)
	}
}
