# fish completion for kist: verbs, each verb's options, the subcommands of
# log, audit and witness, and file names.
# Installed as share/fish/vendor_completions.d/kist.fish.

set -l verbs keygen pubkey seal info list extract cat verify people query manifest log audit witness help
set -l opening list extract cat verify people query manifest

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
complete -c kist -n "__kist_no_verb" -a keygen -d 'create an identity'
complete -c kist -n "__kist_no_verb" -a pubkey -d 'print the public key of an identity'
complete -c kist -n "__kist_no_verb" -a seal -d 'seal files and folders into a vault'
complete -c kist -n "__kist_no_verb" -a info -d 'show what anyone can see of a vault'
complete -c kist -n "__kist_no_verb" -a list -d 'list the entries of a vault'
complete -c kist -n "__kist_no_verb" -a extract -d 'extract entries'
complete -c kist -n "__kist_no_verb" -a cat -d 'write one entry to standard output'
complete -c kist -n "__kist_no_verb" -a verify -d 'check every byte and the signature'
complete -c kist -n "__kist_no_verb" -a people -d 'list or search the people register'
complete -c kist -n "__kist_no_verb" -a query -d 'read-only SQL over the index'
complete -c kist -n "__kist_no_verb" -a manifest -d 'SHA-256 sums or a JSON report'
complete -c kist -n "__kist_no_verb" -a log -d 'the custody ledger'
complete -c kist -n "__kist_no_verb" -a audit -d 'verify a custody ledger or bundle'
complete -c kist -n "__kist_no_verb" -a witness -d 'cosign a checkpoint as a trustee'
complete -c kist -n "__kist_no_verb" -a help -d 'show help'
complete -c kist -n "__kist_no_verb" -l version -d 'show the version'
complete -c kist -n "__kist_verb_is help" -a "$verbs"

# Options of every verb but help, log and audit.
complete -c kist -n "__kist_verb_is keygen pubkey seal info $opening" -s q -l quiet -d 'no progress or notes'
complete -c kist -n "__kist_verb_is $verbs" -s h -l help -d 'show the help of the verb'
# Files as arguments, except for help and log.
complete -c kist -n "__kist_verb_is pubkey seal info $opening" -F

complete -c kist -n "__kist_verb_is keygen seal" -s o -l output -r -F -d 'file to create'
complete -c kist -n "__kist_verb_is keygen seal $opening" -l passphrase-file -r -F -d 'read the passphrase from a file'
complete -c kist -n "__kist_verb_is keygen" -l no-passphrase -d 'store the keys unprotected'
complete -c kist -n "__kist_verb_is keygen seal extract" -l force -d 'replace existing files'
complete -c kist -n "__kist_verb_is pubkey" -l qr -d 'draw the key as a QR code'
complete -c kist -n "__kist_verb_is seal" -s r -l recipient -x -d 'recipient key (kist1 or age1)'
complete -c kist -n "__kist_verb_is seal" -s R -l recipients-file -r -F -d 'file of recipient keys'
complete -c kist -n "__kist_verb_is seal" -s s -l sign -r -F -d 'sign with this identity'
complete -c kist -n "__kist_verb_is seal" -l people -r -F -d 'people register (CSV or JSON)'
complete -c kist -n "__kist_verb_is seal" -l stdin-name -x -d 'name stored for -'
complete -c kist -n "__kist_verb_is seal" -l base -x -a '(__fish_complete_directories)' -d 'store paths relative to this folder'
complete -c kist -n "__kist_verb_is seal" -l dry-run -d 'list the paths that would be stored; write nothing'
complete -c kist -n "__kist_verb_is seal" -s j -l threads -x -d 'threads'
complete -c kist -n "__kist_verb_is seal" -l level -x -d 'zstd level, 1 to 19'
complete -c kist -n "__kist_verb_is seal $opening" -l ledger -r -F -d 'custody ledger'
complete -c kist -n "__kist_verb_is $opening" -s i -l identity -r -F -d 'identity file'
complete -c kist -n "__kist_verb_is info list verify people query manifest" -l json -d 'JSON on stdout'
complete -c kist -n "__kist_verb_is list" -s l -l long -d 'long listing'
complete -c kist -n "__kist_verb_is extract" -s C -l directory -x -a '(__fish_complete_directories)' -d 'target directory'
complete -c kist -n "__kist_verb_is extract" -l person -x -d 'the media of this person'
complete -c kist -n "__kist_verb_is verify" -l signer -r -F -d 'required signer: key, key file or fingerprint'
complete -c kist -n "__kist_verb_is people" -l search -x -d 'only the people matching'
complete -c kist -n "__kist_verb_is query" -l csv -d 'CSV with a header row'
complete -c kist -n "__kist_verb_is manifest" -l verify -d 'authenticate every chunk first'

# kist log list|checkpoint|export
set -l logsubs list checkpoint export
complete -c kist -n "__kist_sub_is log" -a list -d 'show the custody ledger'
complete -c kist -n "__kist_sub_is log" -a checkpoint -d 'print a signed checkpoint'
complete -c kist -n "__kist_sub_is log" -a export -d 'write the ledger as a JSON bundle'
complete -c kist -n "__kist_sub_is log $logsubs" -l ledger -r -F -d 'custody ledger'
complete -c kist -n "__kist_sub_is log list" -l json -d 'JSON on stdout'
complete -c kist -n "__kist_sub_is log checkpoint" -s s -r -F -d 'sign with this identity'
complete -c kist -n "__kist_sub_is log checkpoint" -l passphrase-file -r -F -d 'passphrase file'
complete -c kist -n "__kist_sub_is log export" -s o -r -F -d 'bundle to write'
complete -c kist -n "__kist_sub_is log export" -s r -x -d 'trustee public key'
complete -c kist -n "__kist_sub_is log export" -l force -d 'replace an existing bundle'
complete -c kist -n "__kist_sub_is log export" -s q -d 'quiet'

# kist audit verify
complete -c kist -n "__kist_sub_is audit" -a verify -d 'check a ledger or bundle'
complete -c kist -n "__kist_sub_is audit verify" -F
complete -c kist -n "__kist_sub_is audit verify" -l checkpoint -r -F -d 'checkpoint note to check against'
complete -c kist -n "__kist_sub_is audit verify" -l json -d 'JSON on stdout'
complete -c kist -n "__kist_sub_is audit verify" -s i -r -F -d 'identity to open a sealed bundle'
complete -c kist -n "__kist_sub_is audit verify" -s s -r -F -d 'sign the fresh checkpoint'
complete -c kist -n "__kist_sub_is audit verify" -l passphrase-file -r -F -d 'passphrase file'
complete -c kist -n "__kist_sub_is audit verify" -l ledger -r -F -d 'custody ledger for the -i access'
complete -c kist -n "__kist_sub_is audit verify" -l cosigner -x -d 'trustee key whose cosignature counts'
complete -c kist -n "__kist_sub_is audit verify" -l quorum -x -d 'cosigners needed'
complete -c kist -n "__kist_sub_is audit verify" -l origin -x -d 'the origin the ledger must have'
complete -c kist -n "__kist_sub_is audit verify" -l state -r -a "(__fish_complete_directories)" -d 'witness state folder'

# kist audit compare
complete -c kist -n "__kist_sub_is audit" -a compare -d 'compare two checkpoint notes'
complete -c kist -n "__kist_sub_is audit compare" -F
complete -c kist -n "__kist_sub_is audit compare" -l json -d 'JSON on stdout'
complete -c kist -n "__kist_sub_is audit compare" -s q -d 'quiet'
complete -c kist -n "__kist_sub_is audit compare" -s i -r -F -d 'identity to open a sealed bundle'
complete -c kist -n "__kist_sub_is audit compare" -l passphrase-file -r -F -d 'passphrase file'
complete -c kist -n "__kist_sub_is audit compare" -l ledger -r -F -d 'custody ledger for the -i access'

# kist witness cosign
complete -c kist -n "__kist_sub_is witness" -a cosign -d 'cosign a checkpoint the ledger extends'
complete -c kist -n "__kist_sub_is witness cosign" -F
complete -c kist -n "__kist_sub_is witness cosign" -s i -r -F -d 'the trustee identity'
complete -c kist -n "__kist_sub_is witness cosign" -l state -r -a "(__fish_complete_directories)" -d 'witness state folder'
complete -c kist -n "__kist_sub_is witness cosign" -s o -r -F -d 'cosigned note to write'
complete -c kist -n "__kist_sub_is witness cosign" -l force -d 'replace an existing file'
complete -c kist -n "__kist_sub_is witness cosign" -l json -d 'JSON on stdout'
complete -c kist -n "__kist_sub_is witness cosign" -s q -d 'quiet'
complete -c kist -n "__kist_sub_is witness cosign" -l passphrase-file -r -F -d 'passphrase file'
complete -c kist -n "__kist_sub_is witness cosign" -l ledger -r -F -d 'custody ledger for the -i access'
