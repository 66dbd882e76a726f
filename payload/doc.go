// Package payload makes job payloads from the user's own files: a file,
// or a directory whose files are used in turn (job i takes file i modulo
// their number), with the placeholders {{txn}}, {{job}} and {{seed}}
// replaced by the job's transaction id, its name and the run's seed.
// Placeholders may have spaces inside the braces ({{ txn }}); anything
// else, binary data included, is passed through unchanged.
//
//	files, err := payload.Files("testdata/orders")    // sorted, regular files only
//	tmpl, err := os.ReadFile(payload.Pick(files, i))
//	data := payload.Render(tmpl, payload.Vars{Txn: "order-42", Job: "order.dat", Seed: "42"})
package payload
