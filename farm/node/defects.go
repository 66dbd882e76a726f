package node

// Defects are deliberate protocol violations, one per defect class that
// `bitsim conform` must catch and that cannot be expressed outside the node
// (conform's tests wrap the node's handler for the others). Only Go tests
// set them; configuration files and flags cannot. The zero value is a
// conforming node.
type Defects struct {
	// StoreOverlapTwice writes an overlapping fragment's body from its first
	// byte at the received offset, instead of skipping the bytes already
	// stored (§7.2): the Acks look right, the stored file is corrupt.
	StoreOverlapTwice bool
	// AckGap writes a fragment that starts beyond the received offset where
	// it belongs, leaving a hole of zeros, and acknowledges it instead of
	// answering 416 (§7.2); a final fragment after a gap completes the
	// upload.
	AckGap bool
	// NoNotifyCache notifies the app again for a retried final fragment
	// although the node holds the first notification's result (§7.3).
	NoNotifyCache bool
}
