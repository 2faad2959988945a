// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title TranscriptAnchor
/// @notice Anchors opg transcript roots (one at a time or as the RFC 9162 root of a batch),
///         proves on chain that a transcript root belongs to an anchored batch, and records
///         EIP-712 attestations by executors.
/// @dev Every anchor is a claim by its submitter (msg.sender) and is stored under that
///      submitter's address: what one account anchors can never be blocked, overwritten or
///      invalidated by another account, whatever it sends and in whatever order. Single roots and
///      batch roots live in two separate records, so a value anchored as one kind says nothing
///      about the other kind (a batch root anchored as a single root has no count and proves no
///      inclusion; a transcript root anchored as a "batch" by someone else is that someone's
///      claim only). Every view takes the submitter whose claim is asked about.
///      Anchoring is idempotent for the same submitter: anchoring again what that submitter
///      already anchored changes nothing, emits nothing and does not revert, so a client may retry
///      a send it is unsure about. A batch root with a different count from the same submitter
///      reverts (ConflictingBatchCount): a submitter's batch has one size.
///      A batch root is the RFC 9162 (SHA-256) Merkle root over the transcript roots, each
///      transcript root (32 bytes) being the leaf DATA: leaf = sha256(0x00 || root),
///      node = sha256(0x01 || left || right).
contract TranscriptAnchor {
    /// @dev submitter => root anchored alone => ANCHORED | block number (low 64 bits).
    mapping(address => mapping(bytes32 => uint256)) private singles;

    /// @dev submitter => batch root => ANCHORED | count (bits 64..127) | block number (low 64 bits).
    mapping(address => mapping(bytes32 => uint256)) private batches;

    /// @dev keccak256(transcriptRoot, executor) => model id the executor attested to.
    mapping(bytes32 => bytes32) private attested;

    event Anchored(bytes32 indexed root, address indexed submitter, uint256 blockNumber);
    event BatchAnchored(bytes32 indexed batchRoot, address indexed submitter, uint64 count, uint256 blockNumber);
    event Attested(bytes32 indexed transcriptRoot, address indexed executor, bytes32 indexed modelId);

    error EmptyBatch();
    error BatchTooLarge(uint64 count);
    error ConflictingBatchCount(bytes32 batchRoot, uint64 recorded, uint64 offered);
    error MalformedSignature(uint256 length);
    error WrongSigner(address recovered, address expected);
    error ConflictingAttestation(bytes32 recorded, bytes32 offered);

    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant ATTESTATION_TYPEHASH =
        keccak256("Attestation(bytes32 transcriptRoot,bytes32 modelId)");
    bytes32 private constant NAME_HASH = keccak256("opg TranscriptAnchor");
    bytes32 private constant VERSION_HASH = keccak256("1");
    uint256 private constant HALF_CURVE_ORDER =
        0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;
    /// @dev Largest batch: 2^48 - 1 roots (a proof of that tree is 48 hashes deep).
    uint256 private constant MAX_COUNT = (1 << 48) - 1;
    uint256 private constant LOW64 = (1 << 64) - 1;
    /// @dev Set in every record, so 0 means "not anchored" whatever the block number.
    uint256 private constant ANCHORED = 1 << 255;

    // ------------------------------------------------------------------ anchoring

    /// @notice Anchors one transcript root as a claim of msg.sender. Returns false (and changes
    ///         nothing) if msg.sender already anchored it alone.
    function anchor(bytes32 root) external returns (bool fresh) {
        mapping(bytes32 => uint256) storage mine = singles[msg.sender];
        if (mine[root] != 0) return false;
        mine[root] = ANCHORED | (block.number & LOW64);
        emit Anchored(root, msg.sender, block.number);
        return true;
    }

    /// @notice Anchors, as a claim of msg.sender, the RFC 9162 root over `count` transcript roots.
    ///         Returns false (and changes nothing) if msg.sender already anchored this batch root
    ///         with this count; reverts with ConflictingBatchCount if with another count.
    function anchorBatch(bytes32 batchRoot, uint64 count) external returns (bool fresh) {
        if (count == 0) revert EmptyBatch();
        if (count > MAX_COUNT) revert BatchTooLarge(count);
        mapping(bytes32 => uint256) storage mine = batches[msg.sender];
        uint256 r = mine[batchRoot];
        if (r != 0) {
            uint64 recorded = uint64((r >> 64) & LOW64);
            if (recorded != count) revert ConflictingBatchCount(batchRoot, recorded, count);
            return false;
        }
        mine[batchRoot] = ANCHORED | (uint256(count) << 64) | (block.number & LOW64);
        emit BatchAnchored(batchRoot, msg.sender, count, block.number);
        return true;
    }

    /// @notice True if `submitter` anchored `root` alone.
    function isAnchored(address submitter, bytes32 root) external view returns (bool) {
        return singles[submitter][root] != 0;
    }

    /// @notice The block in which `submitter` anchored `root` alone; 0 if it did not.
    function anchorOf(address submitter, bytes32 root) external view returns (uint64 blockNumber) {
        return uint64(singles[submitter][root] & LOW64);
    }

    /// @notice True if `submitter` anchored the batch root `batchRoot`.
    function isBatchAnchored(address submitter, bytes32 batchRoot) external view returns (bool) {
        return batches[submitter][batchRoot] != 0;
    }

    /// @notice The block in which `submitter` anchored the batch root `batchRoot`, and over how many
    ///         transcript roots; both 0 if it did not.
    function batchAnchorOf(address submitter, bytes32 batchRoot)
        external
        view
        returns (uint64 blockNumber, uint64 count)
    {
        uint256 r = batches[submitter][batchRoot];
        blockNumber = uint64(r & LOW64);
        count = uint64((r >> 64) & LOW64);
    }

    // ------------------------------------------------------------------ inclusion

    /// @notice True if `transcriptRoot` is leaf `leafIndex` of the batch `batchRoot` that `submitter`
    ///         anchored, proven by the RFC 9162 audit path `proof` (ordered from the leaf upward).
    ///         The tree size is the count `submitter` anchored with the batch. Fails closed: a batch
    ///         that submitter did not anchor (whoever else did), a root it anchored alone, an index
    ///         out of range, a path of the wrong length or a wrong hash all answer false.
    function verifyInclusion(
        address submitter,
        bytes32 batchRoot,
        uint256 leafIndex,
        bytes32 transcriptRoot,
        bytes32[] calldata proof
    ) external view returns (bool) {
        uint256 r = batches[submitter][batchRoot];
        if (r == 0) return false;
        uint256 count = (r >> 64) & LOW64;
        bytes32 leaf = _leafHash(abi.encodePacked(transcriptRoot));
        return _verify(leaf, leafIndex, count, proof, batchRoot);
    }

    /// @notice RFC 9162 section 2.1.3.2 verification from plain values: true if `proof` leads from
    ///         `leafHash` at `leafIndex` in a tree of `treeSize` leaves to `root`.
    function verifyInclusionProof(bytes32 leafHash, uint256 leafIndex, uint256 treeSize, bytes32[] calldata proof, bytes32 root)
        external
        view
        returns (bool)
    {
        return _verify(leafHash, leafIndex, treeSize, proof, root);
    }

    /// @notice The RFC 9162 leaf hash sha256(0x00 || data).
    function rfc9162LeafHash(bytes calldata data) external pure returns (bytes32) {
        return _leafHash(data);
    }

    function _verify(bytes32 leaf, uint256 fn, uint256 size, bytes32[] calldata proof, bytes32 root)
        private
        view
        returns (bool)
    {
        if (fn >= size) return false;
        uint256 sn = size - 1;
        bytes32 h = leaf;
        for (uint256 i = 0; i < proof.length; i++) {
            if (sn == 0) return false; // path longer than the tree is deep
            if (fn & 1 == 1 || fn == sn) {
                h = _nodeHash(proof[i], h);
                if (fn & 1 == 0) {
                    // On the right border: climb until this node is a right child.
                    while (fn & 1 == 0 && fn != 0) {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            } else {
                h = _nodeHash(h, proof[i]);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && h == root;
    }

    function _leafHash(bytes memory data) private pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x00), data));
    }

    function _nodeHash(bytes32 left, bytes32 right) private view returns (bytes32 h) {
        assembly ("memory-safe") {
            // Scratch use of free memory beyond the free-memory pointer; nothing is allocated.
            let p := mload(0x40)
            mstore8(p, 0x01)
            mstore(add(p, 1), left)
            mstore(add(p, 33), right)
            if iszero(staticcall(gas(), 0x02, p, 65, 0x00, 0x20)) { revert(0, 0) }
            h := mload(0x00)
        }
    }

    // ------------------------------------------------------------------ attestations

    /// @notice The EIP-712 domain separator: name "opg TranscriptAnchor", version "1", this
    ///         chain's id and this contract's address, so a signature is bound to both.
    function domainSeparator() public view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this)));
    }

    /// @notice The EIP-712 digest an executor signs for (transcriptRoot, modelId) on this contract.
    function attestationDigest(bytes32 transcriptRoot, bytes32 modelId) public view returns (bytes32) {
        bytes32 structHash = keccak256(abi.encode(ATTESTATION_TYPEHASH, transcriptRoot, modelId));
        return keccak256(abi.encodePacked("\x19\x01", domainSeparator(), structHash));
    }

    /// @notice The address whose key made `signature` (65 bytes r || s || v) over the attestation,
    ///         or address(0) if the signature is not a valid low-s secp256k1 signature.
    function recoverAttester(bytes32 transcriptRoot, bytes32 modelId, bytes calldata signature)
        public
        view
        returns (address)
    {
        if (signature.length != 65) revert MalformedSignature(signature.length);
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        if (v < 27) v += 27;
        if ((v != 27 && v != 28) || uint256(s) > HALF_CURVE_ORDER) return address(0);
        return ecrecover(attestationDigest(transcriptRoot, modelId), v, r, s);
    }

    /// @notice Records that `executor` attested `modelId` produced `transcriptRoot`. Reverts with
    ///         WrongSigner unless `signature` was made by `executor` for this chain and contract.
    ///         Idempotent like anchoring; an executor cannot later attest another model id for the
    ///         same root (ConflictingAttestation).
    function attest(bytes32 transcriptRoot, bytes32 modelId, address executor, bytes calldata signature)
        external
        returns (bool fresh)
    {
        address recovered = recoverAttester(transcriptRoot, modelId, signature);
        if (recovered != executor || recovered == address(0)) revert WrongSigner(recovered, executor);
        bytes32 key = keccak256(abi.encode(transcriptRoot, executor));
        bytes32 recorded = attested[key];
        if (recorded == modelId) return false;
        if (recorded != bytes32(0)) revert ConflictingAttestation(recorded, modelId);
        attested[key] = modelId;
        emit Attested(transcriptRoot, executor, modelId);
        return true;
    }

    /// @notice The model id `executor` attested for `transcriptRoot`, or zero if none.
    function attestedModel(bytes32 transcriptRoot, address executor) external view returns (bytes32) {
        return attested[keccak256(abi.encode(transcriptRoot, executor))];
    }
}
