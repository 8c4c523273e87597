# fish completion for kist: verbs, each verb's options, the subcommands of
# log, audit and witness, and file names.  Produced by 'kist completion fish'
# from the verb table (src/cli/verbs.c); do not edit by hand.
# Installed as share/fish/vendor_completions.d/kist.fish.

# The verb is the first word after kist (kist has no options before it).
function __kist_no_verb
    test (count (commandline -opc)) -eq 1
end
function __kist_verb_is # VERB...: the verb is one of these
    set -l t (commandline -opc)
    test (count $t) -ge 2; and contains -- $t[2] $argv
end
function __kist_sub_is # VERB [SUB...]: without SUB, no subcommand yet; else it is one of SUB
    set -l t (commandline -opc)
    test (count $t) -ge 2; and test "$t[2]" = $argv[1]; or return 1
    if test (count $argv) -eq 1
        test (count $t) -eq 2
    else
        test (count $t) -ge 3; and contains -- $t[3] $argv[2..-1]
    end
end

complete -c kist -f
complete -c kist -n "__kist_no_verb" -l help -d 'show help'
complete -c kist -n "__kist_no_verb" -l version -d 'show the version'
complete -c kist -n "__kist_verb_is help" -a "keygen pubkey contacts seal info list extract cat verify grant request release report split join repair parity people query manifest log audit witness help"

# kist keygen
complete -c kist -n "__kist_no_verb" -a keygen -d 'create an identity'
complete -c kist -n "__kist_verb_is keygen" -F
complete -c kist -n "__kist_verb_is keygen" -s h -l help -d 'show the help of the verb'
complete -c kist -n "__kist_verb_is keygen" -s o -l output -r -F -d 'the identity file to create'
complete -c kist -n "__kist_verb_is keygen" -l passphrase-file -r -F -d 'read the passphrase from F (mode 0600), not the terminal'
complete -c kist -n "__kist_verb_is keygen" -l no-passphrase -d 'store the keys unprotected (not with --passphrase-file)'
complete -c kist -n "__kist_verb_is keygen" -l weak-passphrase -d 'accept a passphrase shorter than 8 characters'
complete -c kist -n "__kist_verb_is keygen" -s q -l quiet -d 'no fingerprint on stderr'

# kist pubkey
complete -c kist -n "__kist_no_verb" -a pubkey -d 'print the public key of an identity'
complete -c kist -n "__kist_verb_is pubkey" -F
complete -c kist -n "__kist_verb_is pubkey" -s h -l help -d 'show the help of the verb'
complete -c kist -n "__kist_verb_is pubkey" -l qr -d 'also draw the key as a QR code (for a phone camera)'
complete -c kist -n "__kist_verb_is pubkey" -s q -l quiet -d 'no fingerprint on stderr'
complete -c kist -n "__kist_verb_is pubkey" -l contacts -r -F -d 'names beside keys (default: $XDG_CONFIG_HOME/kist/contacts)'

complete -c kist -n "__kist_no_verb" -a contacts -d 'add, list, remove'
complete -c kist -n "__kist_sub_is contacts" -s h -l help -d 'show the help of the verb'

# kist contacts add
complete -c kist -n "__kist_sub_is contacts" -a add -d 'give a key a name'
complete -c kist -n "__kist_sub_is contacts add" -F
complete -c kist -n "__kist_sub_is contacts add" -s h -l help -d 'show the help of the verb'
complete -c kist -n "__kist_sub_is contacts add" -l contacts -r -F -d 'names beside keys (default: $XDG_CONFIG_HOME/kist/contacts)'
complete -c kist -n "__kist_sub_is contacts add" -s q -l quiet -d 'no message on stderr'

# kist contacts list
complete -c kist -n "__kist_sub_is contacts" -a list -d 'show the contacts'
complete -c kist -n "__kist_sub_is contacts list" -F
complete -c kist -n "__kist_sub_is contacts list" -s h -l help -d 'show the help of the verb'
complete -c kist -n "__kist_sub_is contacts list" -l json -d 'one JSON document on stdout (docs/JSON.md)'
complete -c kist -n "__kist_sub_is contacts list" -l contacts -r -F -d 'names beside keys (default: $XDG_CONFIG_HOME/kist/contacts)'
complete -c kist -n "__kist_sub_is contacts list" -s q -l quiet -d 'no message on stderr'

# kist contacts remove
complete -c kist -n "__kist_sub_is contacts" -a remove -d 'forget a name'
complete -c kist -n "__kist_sub_is contacts remove" -F
complete -c kist -n "__kist_sub_is contacts remove" -s h -l help -d 'show the help of the verb'
complete -c kist -n "__kist_sub_is contacts remove" -l contacts -r -F -d 'names beside keys (default: $XDG_CONFIG_HOME/kist/contacts)'
complete -c kist -n "__kist_sub_is contacts remove" -s q -l quiet -d 'no message on stderr'

# kist seal
complete -c kist -n "__kist_no_verb" -a seal -d 'seal files and folders into a vault'
complete -c kist -n "__kist_verb_is seal" -F
complete -c kist -n "__kist_verb_is seal" -s h -l help -d 'show the help of the verb'
complete -c kist -n "__kist_verb_is seal" -s r -l recipient -x -d 'a recipient\'s kist1... or age1... key, as pasted, or a'
complete -c kist -n "__kist_verb_is seal" -s R -l recipients-file -r -F -d 'one key per line, \'#\' comments (repeatable)'
complete -c kist -n "__kist_verb_is seal" -s s -l sign -r -F -d 'sign the vault with this identity'
complete -c kist -n "__kist_verb_is seal" -l custodian -x -d 'a trustee whose release opening needs: a kist1... key or'
complete -c kist -n "__kist_verb_is seal" -l quorum -x -d 'how many custodians must release (default 1)'
complete -c kist -n "__kist_verb_is seal" -l people -r -F -d 'seal a people register (repeatable; docs/INDEX.md)'
complete -c kist -n "__kist_verb_is seal" -l ledger -r -F -d 'log the seal in this ledger (needs -s; without it, and'
complete -c kist -n "__kist_verb_is seal" -s o -l output -r -F -d 'the vault to write (not a folder); \'-\' writes it to'
complete -c kist -n "__kist_verb_is seal" -l force -d 'replace an existing OUT.kist (or its parts)'
complete -c kist -n "__kist_verb_is seal" -l split -x -d 'write the vault as parts OUT.kist.001, ... of at most SIZE'
complete -c kist -n "__kist_verb_is seal" -l parity -x -d 'with --split: add N parity parts (see kist split); without:'
complete -c kist -n "__kist_verb_is seal" -l pad -x -d 'padme (default): round the vault\'s size up (at most'
complete -c kist -n "__kist_verb_is seal" -l stdin-name -x -d 'name stored for \'-\' (default: stdin)'
complete -c kist -n "__kist_verb_is seal" -l base -x -a '(__fish_complete_directories)' -d 'store paths relative to DIR (inputs must be inside it)'
complete -c kist -n "__kist_verb_is seal" -l exclude -x -d 'leave out paths matching PATTERN (fnmatch, as tar: the'
complete -c kist -n "__kist_verb_is seal" -l skip-unreadable -d 'leave out unreadable files and folders, fifos, sockets'
complete -c kist -n "__kist_verb_is seal" -l dry-run -d 'list the paths that would be stored; write nothing'
complete -c kist -n "__kist_verb_is seal" -l passphrase-file -r -F -d 'passphrase of the -s identity'
complete -c kist -n "__kist_verb_is seal" -s j -l threads -x -d 'threads (1 to 64; default: one per processor)'
complete -c kist -n "__kist_verb_is seal" -l level -x -d 'zstd level, 1 (fastest) to 19 (smallest); default 3;'
complete -c kist -n "__kist_verb_is seal" -l contacts -r -F -d 'names beside keys (default: $XDG_CONFIG_HOME/kist/contacts)'
complete -c kist -n "__kist_verb_is seal" -s q -l quiet -d 'no progress, summary or notes on stderr'

# kist info
complete -c kist -n "__kist_no_verb" -a info -d 'show what anyone can see of a vault'
complete -c kist -n "__kist_verb_is info" -F
complete -c kist -n "__kist_verb_is info" -s h -l help -d 'show the help of the verb'
complete -c kist -n "__kist_verb_is info" -l json -d 'one JSON document on stdout (docs/JSON.md)'
complete -c kist -n "__kist_verb_is info" -s q -l quiet -d 'accepted for symmetry; info prints no notes'

# kist list
complete -c kist -n "__kist_no_verb" -a list -d 'list the entries of a vault'
complete -c kist -n "__kist_verb_is list" -F
complete -c kist -n "__kist_verb_is list" -s h -l help -d 'show the help of the verb'
complete -c kist -n "__kist_verb_is list" -s i -l identity -r -F -d 'an identity that can open the vault (repeatable)'
complete -c kist -n "__kist_verb_is list" -l passphrase-file -r -F -d 'passphrase of protected identities'
complete -c kist -n "__kist_verb_is list" -l release -r -F -d 'a custodian\'s release of a trustee-gated vault'
complete -c kist -n "__kist_verb_is list" -l request-store -x -a '(__fish_complete_directories)' -d 'where request keys are kept (default: XDG data'
complete -c kist -n "__kist_verb_is list" -s l -l long -d 'add type, mode, size, modification time and SHA-256'
complete -c kist -n "__kist_verb_is list" -l json -d 'one JSON document on stdout, every field (docs/JSON.md)'
complete -c kist -n "__kist_verb_is list" -l ledger -r -F -d 'the custody ledger (default: $KIST_LEDGER, XDG data)'
complete -c kist -n "__kist_verb_is list" -s q -l quiet -d 'fewer messages on stderr'

# kist extract
complete -c kist -n "__kist_no_verb" -a extract -d 'extract entries, all authenticated first'
complete -c kist -n "__kist_verb_is extract" -F
complete -c kist -n "__kist_verb_is extract" -s h -l help -d 'show the help of the verb'
complete -c kist -n "__kist_verb_is extract" -s i -l identity -r -F -d 'an identity that can open the vault (repeatable)'
complete -c kist -n "__kist_verb_is extract" -l passphrase-file -r -F -d 'passphrase of protected identities'
complete -c kist -n "__kist_verb_is extract" -l release -r -F -d 'a custodian\'s release of a trustee-gated vault'
complete -c kist -n "__kist_verb_is extract" -l request-store -x -a '(__fish_complete_directories)' -d 'where request keys are kept (default: XDG data'
complete -c kist -n "__kist_verb_is extract" -s C -l directory -x -a '(__fish_complete_directories)' -d 'extract into DIR (default: the current directory);'
complete -c kist -n "__kist_verb_is extract" -l force -d 'replace existing files'
complete -c kist -n "__kist_verb_is extract" -l person -x -d 'the media of this person of the register: an id, a'
complete -c kist -n "__kist_verb_is extract" -l ledger -r -F -d 'the custody ledger (default: $KIST_LEDGER, XDG data)'
complete -c kist -n "__kist_verb_is extract" -s q -l quiet -d 'no progress or summary on stderr'

# kist cat
complete -c kist -n "__kist_no_verb" -a cat -d 'write one entry to standard output'
complete -c kist -n "__kist_verb_is cat" -F
complete -c kist -n "__kist_verb_is cat" -s h -l help -d 'show the help of the verb'
complete -c kist -n "__kist_verb_is cat" -s i -l identity -r -F -d 'an identity that can open the vault (repeatable)'
complete -c kist -n "__kist_verb_is cat" -l passphrase-file -r -F -d 'passphrase of protected identities'
complete -c kist -n "__kist_verb_is cat" -l release -r -F -d 'a custodian\'s release of a trustee-gated vault'
complete -c kist -n "__kist_verb_is cat" -l request-store -x -a '(__fish_complete_directories)' -d 'where request keys are kept (default: XDG data'
complete -c kist -n "__kist_verb_is cat" -l ledger -r -F -d 'the custody ledger (default: $KIST_LEDGER, XDG data)'
complete -c kist -n "__kist_verb_is cat" -s q -l quiet -d 'fewer messages on stderr'

# kist verify
complete -c kist -n "__kist_no_verb" -a verify -d 'check every byte and the signature'
complete -c kist -n "__kist_verb_is verify" -F
complete -c kist -n "__kist_verb_is verify" -s h -l help -d 'show the help of the verb'
complete -c kist -n "__kist_verb_is verify" -s i -l identity -r -F -d 'an identity that can open the vault (repeatable)'
complete -c kist -n "__kist_verb_is verify" -l passphrase-file -r -F -d 'passphrase of protected identities'
complete -c kist -n "__kist_verb_is verify" -l release -r -F -d 'a custodian\'s release of a trustee-gated vault'
complete -c kist -n "__kist_verb_is verify" -l request-store -x -a '(__fish_complete_directories)' -d 'where request keys are kept (default: XDG data'
complete -c kist -n "__kist_verb_is verify" -l signer -r -F -d 'require that KEY signed the vault: a kist1... key, a'
complete -c kist -n "__kist_verb_is verify" -l json -d 'one JSON document on stdout (docs/JSON.md)'
complete -c kist -n "__kist_verb_is verify" -l contacts -r -F -d 'names beside keys (default: $XDG_CONFIG_HOME/kist/contacts)'
complete -c kist -n "__kist_verb_is verify" -l ledger -r -F -d 'the custody ledger (default: $KIST_LEDGER, XDG data)'
complete -c kist -n "__kist_verb_is verify" -s q -l quiet -d 'no progress on stderr'

# kist grant
complete -c kist -n "__kist_no_verb" -a grant -d 'let more recipients open a vault, keeping its signature'
complete -c kist -n "__kist_verb_is grant" -F
complete -c kist -n "__kist_verb_is grant" -s h -l help -d 'show the help of the verb'
complete -c kist -n "__kist_verb_is grant" -s i -l identity -r -F -d 'an identity that can open the vault (repeatable)'
complete -c kist -n "__kist_verb_is grant" -l passphrase-file -r -F -d 'passphrase of protected identities'
complete -c kist -n "__kist_verb_is grant" -s r -l recipient -x -d 'a recipient to add: kist1... or age1... key, or a contact\'s'
complete -c kist -n "__kist_verb_is grant" -s R -l recipients-file -r -F -d 'one key per line, \'#\' comments (repeatable)'
complete -c kist -n "__kist_verb_is grant" -s o -l output -r -F -d 'the granted vault to write'
complete -c kist -n "__kist_verb_is grant" -l force -d 'replace an existing NEW.kist'
complete -c kist -n "__kist_verb_is grant" -l ledger -r -F -d 'the custody ledger (default: $KIST_LEDGER, XDG data)'
complete -c kist -n "__kist_verb_is grant" -l contacts -r -F -d 'names beside keys (default: $XDG_CONFIG_HOME/kist/contacts)'
complete -c kist -n "__kist_verb_is grant" -s q -l quiet -d 'no summary on stderr'

# kist request
complete -c kist -n "__kist_no_verb" -a request -d 'ask the custodians of a trustee-gated vault to release it'
complete -c kist -n "__kist_verb_is request" -F
complete -c kist -n "__kist_verb_is request" -s h -l help -d 'show the help of the verb'
complete -c kist -n "__kist_verb_is request" -s i -l identity -r -F -d 'an identity that can open the vault (repeatable)'
complete -c kist -n "__kist_verb_is request" -l passphrase-file -r -F -d 'passphrase of protected identities'
complete -c kist -n "__kist_verb_is request" -l reason -x -d 'why you ask (shown to the custodians, kept in'
complete -c kist -n "__kist_verb_is request" -l all -d 'ask for the whole vault'
complete -c kist -n "__kist_verb_is request" -l person -x -d 'ask for one person\'s media (the name or #id)'
complete -c kist -n "__kist_verb_is request" -s o -l output -r -F -d 'the request to write'
complete -c kist -n "__kist_verb_is request" -l json -d 'one JSON document on stdout (docs/JSON.md)'
complete -c kist -n "__kist_verb_is request" -l force -d 'replace an existing request file'
complete -c kist -n "__kist_verb_is request" -l request-store -x -a '(__fish_complete_directories)' -d 'where request keys are kept (default: XDG data'
complete -c kist -n "__kist_verb_is request" -l contacts -r -F -d 'names beside keys (default: $XDG_CONFIG_HOME/kist/contacts)'
complete -c kist -n "__kist_verb_is request" -s q -l quiet -d 'no summary on stderr'

# kist release
complete -c kist -n "__kist_no_verb" -a release -d 'decide on a request, as a custodian (logged first)'
complete -c kist -n "__kist_verb_is release" -F
complete -c kist -n "__kist_verb_is release" -s h -l help -d 'show the help of the verb'
complete -c kist -n "__kist_verb_is release" -s i -l identity -r -F -d 'the custodian\'s identity'
complete -c kist -n "__kist_verb_is release" -l passphrase-file -r -F -d 'passphrase of protected identities'
complete -c kist -n "__kist_verb_is release" -s o -l output -r -F -d 'the release (or refusal) to write'
complete -c kist -n "__kist_verb_is release" -l refuse -d 'record and write a refusal'
complete -c kist -n "__kist_verb_is release" -l note -x -d 'a note for the requester (a refusal\'s reason)'
complete -c kist -n "__kist_verb_is release" -l show -d 'only show the request; record and write nothing'
complete -c kist -n "__kist_verb_is release" -l yes -d 'do not ask for confirmation (scripts)'
complete -c kist -n "__kist_verb_is release" -l json -d 'one JSON document on stdout (docs/JSON.md)'
complete -c kist -n "__kist_verb_is release" -l force -d 'replace an existing output'
complete -c kist -n "__kist_verb_is release" -l ledger -r -F -d 'the custodian\'s ledger, where the decision is recorded'
complete -c kist -n "__kist_verb_is release" -l contacts -r -F -d 'names beside keys (default: $XDG_CONFIG_HOME/kist/contacts)'
complete -c kist -n "__kist_verb_is release" -s q -l quiet -d 'no summary on stderr'

# kist report
complete -c kist -n "__kist_no_verb" -a report -d 'write a printable report of a vault (HTML or PDF)'
complete -c kist -n "__kist_verb_is report" -F
complete -c kist -n "__kist_verb_is report" -s h -l help -d 'show the help of the verb'
complete -c kist -n "__kist_verb_is report" -s i -l identity -r -F -d 'an identity that can open the vault (repeatable)'
complete -c kist -n "__kist_verb_is report" -l passphrase-file -r -F -d 'passphrase of protected identities'
complete -c kist -n "__kist_verb_is report" -l release -r -F -d 'a custodian\'s release of a trustee-gated vault'
complete -c kist -n "__kist_verb_is report" -l request-store -x -a '(__fish_complete_directories)' -d 'where request keys are kept (default: XDG data'
complete -c kist -n "__kist_verb_is report" -s o -l output -r -F -d 'the report to write (HTML, or PDF with --pdf); \'-\':'
complete -c kist -n "__kist_verb_is report" -l ledger -r -F -d 'the custody ledger: logs this opening, and its entries'
complete -c kist -n "__kist_verb_is report" -l bundle -r -F -d 'report the custody entries of this exported ledger,'
complete -c kist -n "__kist_verb_is report" -l people -d 'include the people register (left out by default)'
complete -c kist -n "__kist_verb_is report" -l pdf -d 'print the report to PDF with headless chromium (exit 1'
complete -c kist -n "__kist_verb_is report" -l paper -x -d 'printed page size: a4 (the default) or letter'
complete -c kist -n "__kist_verb_is report" -l force -d 'replace an existing OUT'
complete -c kist -n "__kist_verb_is report" -l contacts -r -F -d 'names beside keys (default: $XDG_CONFIG_HOME/kist/contacts)'
complete -c kist -n "__kist_verb_is report" -s q -l quiet -d 'no progress on stderr'

# kist split
complete -c kist -n "__kist_no_verb" -a split -d 'cut a vault into parts of at most SIZE'
complete -c kist -n "__kist_verb_is split" -F
complete -c kist -n "__kist_verb_is split" -s h -l help -d 'show the help of the verb'
complete -c kist -n "__kist_verb_is split" -s o -l output -r -F -d 'name the parts BASE.001, BASE.002, ... (default: VAULT)'
complete -c kist -n "__kist_verb_is split" -l parity -x -d 'add N parity parts: any N lost or damaged parts can be rebuilt'
complete -c kist -n "__kist_verb_is split" -l force -d 'replace existing parts of the same names'
complete -c kist -n "__kist_verb_is split" -s q -l quiet -d 'no summary on stderr'

# kist join
complete -c kist -n "__kist_no_verb" -a join -d 'put a split vault back together'
complete -c kist -n "__kist_verb_is join" -F
complete -c kist -n "__kist_verb_is join" -s h -l help -d 'show the help of the verb'
complete -c kist -n "__kist_verb_is join" -s o -l output -r -F -d 'the vault file to write'
complete -c kist -n "__kist_verb_is join" -l force -d 'replace VAULT if it exists'
complete -c kist -n "__kist_verb_is join" -s q -l quiet -d 'no summary on stderr'

# kist repair
complete -c kist -n "__kist_no_verb" -a repair -d 'rebuild lost or damaged parts from parity'
complete -c kist -n "__kist_verb_is repair" -F
complete -c kist -n "__kist_verb_is repair" -s h -l help -d 'show the help of the verb'
complete -c kist -n "__kist_verb_is repair" -s o -l output -x -a '(__fish_complete_directories)' -d 'write rebuilt parts (or the vault) into DIR (default:'
complete -c kist -n "__kist_verb_is repair" -l force -d 'with -o, replace files of the same names in DIR'
complete -c kist -n "__kist_verb_is repair" -s q -l quiet -d 'no progress or summary on stderr'

complete -c kist -n "__kist_no_verb" -a parity -d 'add'
complete -c kist -n "__kist_sub_is parity" -s h -l help -d 'show the help of the verb'

# kist parity add
complete -c kist -n "__kist_sub_is parity" -a add -d 'write a parity file beside a vault'
complete -c kist -n "__kist_sub_is parity add" -F
complete -c kist -n "__kist_sub_is parity add" -s h -l help -d 'show the help of the verb'
complete -c kist -n "__kist_sub_is parity add" -l parity -x -d 'parity as a percentage of the vault, 1% to 100% (default 5%)'
complete -c kist -n "__kist_sub_is parity add" -l force -d 'replace an existing VAULT.parity'
complete -c kist -n "__kist_sub_is parity add" -s q -l quiet -d 'no summary on stderr'

# kist people
complete -c kist -n "__kist_no_verb" -a people -d 'list or search the people register'
complete -c kist -n "__kist_verb_is people" -F
complete -c kist -n "__kist_verb_is people" -s h -l help -d 'show the help of the verb'
complete -c kist -n "__kist_verb_is people" -l search -x -d 'only the people matching TEXT'
complete -c kist -n "__kist_verb_is people" -l json -d 'one JSON document on stdout (docs/JSON.md)'
complete -c kist -n "__kist_verb_is people" -s i -l identity -r -F -d 'an identity that can open the vault (repeatable)'
complete -c kist -n "__kist_verb_is people" -l passphrase-file -r -F -d 'passphrase of protected identities'
complete -c kist -n "__kist_verb_is people" -l release -r -F -d 'a custodian\'s release of a trustee-gated vault'
complete -c kist -n "__kist_verb_is people" -l request-store -x -a '(__fish_complete_directories)' -d 'where request keys are kept (default: XDG data'
complete -c kist -n "__kist_verb_is people" -l ledger -r -F -d 'the custody ledger (default: $KIST_LEDGER, XDG data)'
complete -c kist -n "__kist_verb_is people" -s q -l quiet -d 'fewer messages on stderr'

# kist query
complete -c kist -n "__kist_no_verb" -a query -d 'run a read-only SQL query over the index'
complete -c kist -n "__kist_verb_is query" -F
complete -c kist -n "__kist_verb_is query" -s h -l help -d 'show the help of the verb'
complete -c kist -n "__kist_verb_is query" -l csv -d 'CSV with a header row (the default)'
complete -c kist -n "__kist_verb_is query" -l json -d 'one JSON document on stdout (docs/JSON.md)'
complete -c kist -n "__kist_verb_is query" -s i -l identity -r -F -d 'an identity that can open the vault (repeatable)'
complete -c kist -n "__kist_verb_is query" -l passphrase-file -r -F -d 'passphrase of protected identities'
complete -c kist -n "__kist_verb_is query" -l release -r -F -d 'a custodian\'s release of a trustee-gated vault'
complete -c kist -n "__kist_verb_is query" -l request-store -x -a '(__fish_complete_directories)' -d 'where request keys are kept (default: XDG data'
complete -c kist -n "__kist_verb_is query" -l ledger -r -F -d 'the custody ledger (default: $KIST_LEDGER, XDG data)'
complete -c kist -n "__kist_verb_is query" -s q -l quiet -d 'fewer messages on stderr'

# kist manifest
complete -c kist -n "__kist_no_verb" -a manifest -d 'print SHA-256 sums or a JSON report'
complete -c kist -n "__kist_verb_is manifest" -F
complete -c kist -n "__kist_verb_is manifest" -s h -l help -d 'show the help of the verb'
complete -c kist -n "__kist_verb_is manifest" -l json -d 'the report as one JSON document (docs/JSON.md)'
complete -c kist -n "__kist_verb_is manifest" -l verify -d 'first authenticate every chunk and recompute every'
complete -c kist -n "__kist_verb_is manifest" -l contacts -r -F -d 'names beside keys (default: $XDG_CONFIG_HOME/kist/contacts)'
complete -c kist -n "__kist_verb_is manifest" -s i -l identity -r -F -d 'an identity that can open the vault (repeatable)'
complete -c kist -n "__kist_verb_is manifest" -l passphrase-file -r -F -d 'passphrase of protected identities'
complete -c kist -n "__kist_verb_is manifest" -l release -r -F -d 'a custodian\'s release of a trustee-gated vault'
complete -c kist -n "__kist_verb_is manifest" -l request-store -x -a '(__fish_complete_directories)' -d 'where request keys are kept (default: XDG data'
complete -c kist -n "__kist_verb_is manifest" -l ledger -r -F -d 'the custody ledger (default: $KIST_LEDGER, XDG data)'
complete -c kist -n "__kist_verb_is manifest" -s q -l quiet -d 'fewer messages on stderr'

complete -c kist -n "__kist_no_verb" -a log -d 'list, checkpoint, export'
complete -c kist -n "__kist_sub_is log" -s h -l help -d 'show the help of the verb'

# kist log list
complete -c kist -n "__kist_sub_is log" -a list -d 'show the custody ledger'
complete -c kist -n "__kist_sub_is log list" -F
complete -c kist -n "__kist_sub_is log list" -s h -l help -d 'show the help of the verb'
complete -c kist -n "__kist_sub_is log list" -l json -d 'the ledger as one JSON bundle on stdout (docs/AUDIT.md)'
complete -c kist -n "__kist_sub_is log list" -l ledger -r -F -d 'the custody ledger (default: $KIST_LEDGER, XDG data)'
complete -c kist -n "__kist_sub_is log list" -l contacts -r -F -d 'names beside keys (default: $XDG_CONFIG_HOME/kist/contacts)'

# kist log checkpoint
complete -c kist -n "__kist_sub_is log" -a checkpoint -d 'print a signed checkpoint of the ledger'
complete -c kist -n "__kist_sub_is log checkpoint" -F
complete -c kist -n "__kist_sub_is log checkpoint" -s h -l help -d 'show the help of the verb'
complete -c kist -n "__kist_sub_is log checkpoint" -s s -l sign -r -F -d 'sign the checkpoint with this identity'
complete -c kist -n "__kist_sub_is log checkpoint" -l passphrase-file -r -F -d 'passphrase of the -s identity'
complete -c kist -n "__kist_sub_is log checkpoint" -l ledger -r -F -d 'the custody ledger (default: $KIST_LEDGER, XDG data)'

# kist log export
complete -c kist -n "__kist_sub_is log" -a export -d 'write the ledger as a JSON bundle'
complete -c kist -n "__kist_sub_is log export" -F
complete -c kist -n "__kist_sub_is log export" -s h -l help -d 'show the help of the verb'
complete -c kist -n "__kist_sub_is log export" -s o -l output -r -F -d 'the bundle to write'
complete -c kist -n "__kist_sub_is log export" -s r -l recipient -x -d 'seal the bundle for this trustee: a key or a contact\'s'
complete -c kist -n "__kist_sub_is log export" -l force -d 'replace an existing BUNDLE'
complete -c kist -n "__kist_sub_is log export" -s q -l quiet -d 'no message on stderr'
complete -c kist -n "__kist_sub_is log export" -l ledger -r -F -d 'the custody ledger (default: $KIST_LEDGER, XDG data)'
complete -c kist -n "__kist_sub_is log export" -l contacts -r -F -d 'names beside keys (default: $XDG_CONFIG_HOME/kist/contacts)'

complete -c kist -n "__kist_no_verb" -a audit -d 'verify, report, compare'
complete -c kist -n "__kist_sub_is audit" -s h -l help -d 'show the help of the verb'

# kist audit verify
complete -c kist -n "__kist_sub_is audit" -a verify -d 'check a ledger, bundle or sealed bundle'
complete -c kist -n "__kist_sub_is audit verify" -F
complete -c kist -n "__kist_sub_is audit verify" -s h -l help -d 'show the help of the verb'
complete -c kist -n "__kist_sub_is audit verify" -l checkpoint -r -F -d 'a checkpoint kept earlier (repeatable)'
complete -c kist -n "__kist_sub_is audit verify" -l json -d 'one JSON document on stdout (docs/JSON.md)'
complete -c kist -n "__kist_sub_is audit verify" -s i -l identity -r -F -d 'an identity that opens a sealed bundle (repeatable)'
complete -c kist -n "__kist_sub_is audit verify" -s s -l sign -r -F -d 'sign a fresh checkpoint with this identity'
complete -c kist -n "__kist_sub_is audit verify" -l passphrase-file -r -F -d 'passphrase of protected identities'
complete -c kist -n "__kist_sub_is audit verify" -l ledger -r -F -d 'the custody ledger that logs the -i access'
complete -c kist -n "__kist_sub_is audit verify" -l cosigner -x -d 'a trustee\'s kist1... key (repeatable): a checkpoint counts'
complete -c kist -n "__kist_sub_is audit verify" -l quorum -x -d 'the cosigners needed (1 to the number of --cosigner)'
complete -c kist -n "__kist_sub_is audit verify" -l origin -x -d 'exit 15 if the ledger has another origin'
complete -c kist -n "__kist_sub_is audit verify" -l contacts -r -F -d 'names beside keys (default: $XDG_CONFIG_HOME/kist/contacts)'
complete -c kist -n "__kist_sub_is audit verify" -l state -x -a '(__fish_complete_directories)' -d 'a witness state folder: the ledger must be of an origin'

# kist audit report
complete -c kist -n "__kist_sub_is audit" -a report -d 'write a printable custody audit (HTML or PDF)'
complete -c kist -n "__kist_sub_is audit report" -F
complete -c kist -n "__kist_sub_is audit report" -s h -l help -d 'show the help of the verb'
complete -c kist -n "__kist_sub_is audit report" -s o -l output -r -F -d 'the report to write (HTML, or PDF with --pdf); \'-\':'
complete -c kist -n "__kist_sub_is audit report" -s i -l identity -r -F -d 'an identity that opens a sealed bundle (repeatable)'
complete -c kist -n "__kist_sub_is audit report" -l passphrase-file -r -F -d 'passphrase of protected identities'
complete -c kist -n "__kist_sub_is audit report" -l ledger -r -F -d 'the custody ledger that logs the -i access'
complete -c kist -n "__kist_sub_is audit report" -l pdf -d 'print the report to PDF with headless chromium (exit 1'
complete -c kist -n "__kist_sub_is audit report" -l paper -x -d 'printed page size: a4 (the default) or letter'
complete -c kist -n "__kist_sub_is audit report" -l force -d 'replace an existing OUT'
complete -c kist -n "__kist_sub_is audit report" -l contacts -r -F -d 'names beside keys (default: $XDG_CONFIG_HOME/kist/contacts)'

# kist audit compare
complete -c kist -n "__kist_sub_is audit" -a compare -d 'compare two checkpoint notes'
complete -c kist -n "__kist_sub_is audit compare" -F
complete -c kist -n "__kist_sub_is audit compare" -s h -l help -d 'show the help of the verb'
complete -c kist -n "__kist_sub_is audit compare" -l json -d 'one JSON document on stdout (docs/JSON.md)'
complete -c kist -n "__kist_sub_is audit compare" -s q -l quiet -d 'no message on stderr'
complete -c kist -n "__kist_sub_is audit compare" -s i -l identity -r -F -d 'an identity that opens a sealed bundle (repeatable)'
complete -c kist -n "__kist_sub_is audit compare" -l passphrase-file -r -F -d 'passphrase of protected identities'
complete -c kist -n "__kist_sub_is audit compare" -l ledger -r -F -d 'the custody ledger that logs the -i access'
complete -c kist -n "__kist_sub_is audit compare" -l contacts -r -F -d 'names beside keys (default: $XDG_CONFIG_HOME/kist/contacts)'

complete -c kist -n "__kist_no_verb" -a witness -d 'cosign'
complete -c kist -n "__kist_sub_is witness" -s h -l help -d 'show the help of the verb'

# kist witness cosign
complete -c kist -n "__kist_sub_is witness" -a cosign -d 'cosign a checkpoint the ledger extends'
complete -c kist -n "__kist_sub_is witness cosign" -F
complete -c kist -n "__kist_sub_is witness cosign" -s h -l help -d 'show the help of the verb'
complete -c kist -n "__kist_sub_is witness cosign" -s i -l identity -r -F -d 'the trustee\'s identity (also opens a sealed bundle)'
complete -c kist -n "__kist_sub_is witness cosign" -l state -x -a '(__fish_complete_directories)' -d 'the witness\'s state folder (created 0700)'
complete -c kist -n "__kist_sub_is witness cosign" -s o -l output -r -F -d 'write the cosigned note to FILE (not replaced unless --force)'
complete -c kist -n "__kist_sub_is witness cosign" -l force -d 'replace an existing -o FILE'
complete -c kist -n "__kist_sub_is witness cosign" -l json -d 'one JSON document on stdout (docs/JSON.md)'
complete -c kist -n "__kist_sub_is witness cosign" -s q -l quiet -d 'no message on stderr'
complete -c kist -n "__kist_sub_is witness cosign" -l passphrase-file -r -F -d 'passphrase of the trustee\'s identity'
complete -c kist -n "__kist_sub_is witness cosign" -l ledger -r -F -d 'the custody ledger that logs the opening of a sealed bundle'
complete -c kist -n "__kist_sub_is witness cosign" -l contacts -r -F -d 'names beside keys (default: $XDG_CONFIG_HOME/kist/contacts)'

# kist help
complete -c kist -n "__kist_no_verb" -a help -d 'show help'
complete -c kist -n "__kist_verb_is help" -s h -l help -d 'show the help of the verb'
