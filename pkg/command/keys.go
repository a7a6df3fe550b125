package command

// KeyPositions returns the positions in args of the key arguments, in
// ascending order; args[0] is the command name. For a container command
// (OBJECT, MEMORY, ...) it uses the subcommand named by args[1] when s knows
// it. It tolerates malformed args: it never panics and only returns
// positions that exist in args, so a short or inconsistent argument list
// yields the keys that are present (the command itself then reports the
// error). The channels of the sharded pub/sub commands are not keys (see
// ShardChannel). A nil spec has no keys.
func (s *Spec) KeyPositions(args [][]byte) []int {
	return s.AppendKeyPositions(nil, args)
}

// AppendKeyPositions is KeyPositions appending to dst, so that a caller on a
// hot path can reuse one buffer. It does not allocate for specs without a
// KeysFunc when dst has room.
func (s *Spec) AppendKeyPositions(dst []int, args [][]byte) []int {
	if s == nil {
		return dst
	}
	if len(s.Subcommands) > 0 && len(args) > 1 {
		if sub := s.Sub(args[1]); sub != nil {
			s = sub
		}
	}
	if s.Flags&ShardChannel != 0 {
		return dst
	}
	if s.KeysFunc != nil {
		for _, p := range s.KeysFunc(args) {
			if p > 0 && p < len(args) { // guard against a careless KeysFunc
				dst = append(dst, p)
			}
		}
		return dst
	}
	return appendRange(dst, len(args), s.FirstKey, s.LastKey, s.Step)
}

// Keys returns the key arguments themselves, in the order of KeyPositions.
// The slices alias args.
func (s *Spec) Keys(args [][]byte) [][]byte {
	pos := s.KeyPositions(args)
	if len(pos) == 0 {
		return nil
	}
	keys := make([][]byte, len(pos))
	for i, p := range pos {
		keys[i] = args[p]
	}
	return keys
}

// ChannelPositions returns the positions in args of the shard channels of
// a ShardChannel command (SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH), which a
// proxy routes by slot like keys; nil for every other command.
func (s *Spec) ChannelPositions(args [][]byte) []int {
	if s == nil || s.Flags&ShardChannel == 0 {
		return nil
	}
	return appendRange(nil, len(args), s.FirstKey, s.LastKey, s.Step)
}

// appendRange appends the positions FirstKey, FirstKey+Step, ... LastKey of
// a legacy key spec that exist among argc arguments.
func appendRange(dst []int, argc, first, last, step int) []int {
	if first <= 0 || step <= 0 {
		return dst
	}
	if last < 0 {
		last += argc
	}
	last = min(last, argc-1)
	for i := first; i <= last; i += step {
		dst = append(dst, i)
	}
	return dst
}

// numKeys returns a KeysFunc for commands that take lead fixed keys at
// positions 1..lead, then a numkeys argument at position numIdx followed by
// that many keys: ZUNIONSTORE dst numkeys key... is numKeys(1, 2), LMPOP
// numkeys key... is numKeys(0, 1), BLMPOP timeout numkeys key... is
// numKeys(0, 2). A numkeys that is not a non-negative integer yields only
// the fixed keys; one larger than the arguments left is cut to them.
func numKeys(lead, numIdx int) func(args [][]byte) []int {
	return func(args [][]byte) []int {
		var pos []int
		for i := 1; i <= lead && i < len(args); i++ {
			pos = append(pos, i)
		}
		if numIdx >= len(args) {
			return pos
		}
		n, ok := parseCount(args[numIdx])
		if !ok {
			return pos
		}
		n = min(n, len(args)-numIdx-1)
		for i := numIdx + 1; i <= numIdx+n; i++ {
			pos = append(pos, i)
		}
		return pos
	}
}

// storeKeys returns the KeysFunc of GEORADIUS and GEORADIUSBYMEMBER: the
// key at position 1, plus the arguments after the first STORE keyword and
// after the first STOREDIST keyword found at position start or later. Like Redis 7.0's COMMAND GETKEYS it reports both when
// both are given, although the command then stores into the last one only.
func storeKeys(start int) func(args [][]byte) []int {
	return func(args [][]byte) []int {
		if len(args) < 2 {
			return nil
		}
		// Every STORE/STOREDIST target, not only the first of each kind:
		// Redis's command writes to the last one given, and the lock
		// must cover whichever that is.
		pos := []int{1}
		// A keyword in the last position has no key after it.
		for i := start; i < len(args)-1; i++ {
			if equalFoldASCII("store", args[i]) || equalFoldASCII("storedist", args[i]) {
				pos = append(pos, i+1)
				i++
			}
		}
		return pos
	}
}

// parseCount parses a non-negative decimal integer without sign. A value
// too large for an int saturates, which callers cut to the arguments
// present anyway.
func parseCount(b []byte) (int, bool) {
	if len(b) == 0 {
		return 0, false
	}
	const maxInt = int(^uint(0) >> 1)
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int(c - '0')
		if n > (maxInt-d)/10 {
			n = maxInt // stays saturated: the test holds for maxInt too
			continue
		}
		n = n*10 + d
	}
	return n, true
}
