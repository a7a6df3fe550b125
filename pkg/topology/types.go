package topology

import (
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"strconv"
	"time"
)

// Format is the format number written in every document. Readers refuse
// documents with another number with ErrFormat.
const Format = 1

// DefaultCluster is the cluster name used when none is given.
const DefaultCluster = "default"

// Cluster is the document that marks a cluster as initialized.
type Cluster struct {
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	// Revision is the etcd mod revision the document was read at; it is
	// not stored.
	Revision int64 `json:"-"`
}

// Shard is one registered shard daemon. A shard's ID and address never
// change once registered: to move a shard, add the new address and drain
// the old one.
type Shard struct {
	ID    string    `json:"id"`
	Addr  string    `json:"addr"`
	Added time.Time `json:"added"`
}

// Registry is the set of registered shards, stored as one document so that
// adding and removing shards, and the uniqueness of IDs and addresses, are
// checked atomically.
type Registry struct {
	// Shards in the order they were registered.
	Shards []Shard `json:"shards"`
	// NextID is the number used for the next automatic ID ("s<NextID>").
	// It only grows, so an automatic ID is never reused.
	NextID uint64 `json:"next_id"`
	// Revision is the etcd mod revision of the document; not stored.
	Revision int64 `json:"-"`
}

// Shard returns the shard with the given ID.
func (r *Registry) Shard(id string) (Shard, bool) {
	for _, s := range r.Shards {
		if s.ID == id {
			return s, true
		}
	}
	return Shard{}, false
}

// ByAddr returns the shard registered with addr.
func (r *Registry) ByAddr(addr string) (Shard, bool) {
	for _, s := range r.Shards {
		if s.Addr == addr {
			return s, true
		}
	}
	return Shard{}, false
}

// IDs returns the shard IDs in registration order.
func (r *Registry) IDs() []string {
	ids := make([]string, len(r.Shards))
	for i, s := range r.Shards {
		ids[i] = s.ID
	}
	return ids
}

// clone returns a deep copy of r.
func (r *Registry) clone() *Registry {
	c := *r
	c.Shards = slices.Clone(r.Shards)
	return &c
}

// add registers s, choosing an automatic ID when s.ID is empty.
func (r *Registry) add(s Shard) (Shard, error) {
	if err := ValidateAddr(s.Addr); err != nil {
		return Shard{}, err
	}
	if other, ok := r.ByAddr(s.Addr); ok {
		return Shard{}, fmt.Errorf("%w: %s is shard %s", ErrAddrInUse, s.Addr, other.ID)
	}
	if s.ID == "" {
		for {
			r.NextID++
			id := "s" + strconv.FormatUint(r.NextID, 10)
			if _, taken := r.Shard(id); !taken {
				s.ID = id
				break
			}
		}
	} else {
		if err := ValidateID(s.ID); err != nil {
			return Shard{}, err
		}
		if _, taken := r.Shard(s.ID); taken {
			return Shard{}, fmt.Errorf("%w: %s", ErrShardExists, s.ID)
		}
	}
	r.Shards = append(r.Shards, s)
	return s, nil
}

// Proxy is the document a proxy keeps under its lease: who it is and the
// slot-map version it has applied.
type Proxy struct {
	ID   string `json:"id"`
	Addr string `json:"addr"`
	// Version is the highest slot-map version the proxy has applied.
	Version uint64    `json:"version"`
	Started time.Time `json:"started"`
	// Updated is when Version was last written.
	Updated time.Time `json:"updated"`
	// Lease is the etcd lease the document is attached to; not stored.
	Lease int64 `json:"-"`
}

// ValidateCluster checks a cluster name: 1 to 64 bytes of letters, digits,
// '-', '_' and '.'.
func ValidateCluster(name string) error {
	if !validName(name) {
		return fmt.Errorf("%w cluster name %q: use 1 to 64 letters, digits, '-', '_' or '.'", ErrInvalid, name)
	}
	return nil
}

// ValidateID checks a shard or proxy ID: 1 to 64 bytes of letters, digits,
// '-', '_' and '.'.
func ValidateID(id string) error {
	if !validName(id) {
		return fmt.Errorf("%w ID %q: use 1 to 64 letters, digits, '-', '_' or '.'", ErrInvalid, id)
	}
	return nil
}

func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// ValidateAddr checks that addr is host:port with a non-empty host and a
// port in 1..65535.
func ValidateAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%w address %q: want host:port", ErrInvalid, addr)
	}
	n, err := strconv.Atoi(port)
	if host == "" || err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%w address %q: want host:port with a port in 1..65535", ErrInvalid, addr)
	}
	return nil
}

// The stored forms carry the format number; the Go types do not.

type clusterDoc struct {
	Format int `json:"format"`
	Cluster
}

type registryDoc struct {
	Format int `json:"format"`
	Registry
}

type proxyDoc struct {
	Format int `json:"format"`
	Proxy
}

func encode(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own plain structs are encoded here.
		panic(fmt.Sprintf("topology: encode %T: %v", v, err))
	}
	return string(b)
}

func checkFormat(key string, got int) error {
	if got != Format {
		return fmt.Errorf("%w: %s has format %d, this version reads format %d", ErrFormat, key, got, Format)
	}
	return nil
}

func decodeCluster(key string, b []byte, rev int64) (*Cluster, error) {
	var d clusterDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrFormat, key, err)
	}
	if err := checkFormat(key, d.Format); err != nil {
		return nil, err
	}
	d.Revision = rev
	return &d.Cluster, nil
}

func decodeRegistry(key string, b []byte, rev int64) (*Registry, error) {
	var d registryDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrFormat, key, err)
	}
	if err := checkFormat(key, d.Format); err != nil {
		return nil, err
	}
	d.Revision = rev
	return &d.Registry, nil
}

func decodeProxy(key string, b []byte, lease int64) (Proxy, error) {
	var d proxyDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return Proxy{}, fmt.Errorf("%w: %s: %v", ErrFormat, key, err)
	}
	if err := checkFormat(key, d.Format); err != nil {
		return Proxy{}, err
	}
	d.Lease = lease
	return d.Proxy, nil
}
