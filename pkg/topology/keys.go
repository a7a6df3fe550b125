package topology

// Every etcd key that Shardis uses is built in this file, so the schema can
// be read in one place (docs/topology.md describes the documents).
//
//	/shardis/<cluster>/cluster        Cluster document, written once by Init
//	/shardis/<cluster>/shards         Registry document: every shard and its address
//	/shardis/<cluster>/slotmap        SlotMap document: owner of every slot, migrations
//	/shardis/<cluster>/proxies/<id>   Proxy document, attached to the proxy's lease
//	/shardis/<cluster>/reshard        Reshard document: the resharding job in progress, if any

// Root is the prefix of every Shardis key in etcd.
const Root = "/shardis/"

// Prefix returns the prefix under which all keys of cluster live, with a
// trailing slash (for example "/shardis/default/"). Tools such as etcdctl
// can list a cluster with it.
func Prefix(cluster string) string { return Root + cluster + "/" }

// keys builds the keys of one cluster.
type keys struct{ prefix string }

func newKeys(cluster string) keys { return keys{prefix: Prefix(cluster)} }

func (k keys) cluster() string  { return k.prefix + "cluster" }
func (k keys) registry() string { return k.prefix + "shards" }
func (k keys) slotMap() string  { return k.prefix + "slotmap" }
func (k keys) reshard() string  { return k.prefix + "reshard" }

// proxies is the prefix of all proxy registrations.
func (k keys) proxies() string { return k.prefix + "proxies/" }

func (k keys) proxy(id string) string { return k.proxies() + id }
