module github.com/shardis/shardis/tools

go 1.26.0

require github.com/shardis/shardis/shardd v0.0.0

require github.com/shardis/shardis/pkg v0.0.0 // indirect

replace (
	github.com/shardis/shardis/pkg => ../pkg
	github.com/shardis/shardis/shardd => ../shardd
)
