package session

import "os"

func pid() int { return os.Getpid() }
