// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title ModelRegistry
/// @notice Registers opg models by content: a publisher records, under a name of its own, versions
///         that each bind a model id (the opg model commitment root) to the artifact's file digest,
///         a URI to fetch it from, a version string and the model kind. Also checks, with
///         ecrecover, the secp256k1 signature of a DSSE envelope (opg verification attestations).
/// @dev Names are per publisher: every record lives under (msg.sender, name), so no account can
///      add a version to, revoke, squat or overwrite another account's name, whatever it sends and
///      in whatever order. Readers always say whose name they ask about (as with TranscriptAnchor's
///      submitters); a name means nothing without its publisher.
///      Nothing registered can be altered: there is no update. A version string is used once per
///      name; registering it again with exactly the same fields is a no-op (returns false, emits
///      nothing, does not revert) so that a client may retry a send, and with any other field
///      reverts (VersionTaken). Revocation only marks a version revoked (once, with its block);
///      the entry itself stays readable.
///      Every string field is printable ASCII without spaces (0x21..0x7e; the kind: a-z, 0-9, '-'),
///      non-empty and bounded, so that what a reader displays is what was registered.
contract ModelRegistry {
    struct Version {
        bytes32 modelId;
        bytes32 artifactDigest;
        uint64 registeredBlock;
        uint64 revokedBlock;
        string version;
        string uri;
        string kind;
    }

    struct Registration {
        address publisher;
        uint64 index;
        bytes32 nameHash;
    }

    /// @dev publisher => keccak256(name) => versions, oldest first.
    mapping(address => mapping(bytes32 => Version[])) private versions;
    /// @dev publisher => keccak256(name) => name.
    mapping(address => mapping(bytes32 => string)) private names;
    /// @dev publisher => keccak256(name) => keccak256(version) => index + 1 (0: no such version).
    mapping(address => mapping(bytes32 => mapping(bytes32 => uint256))) private slots;
    /// @dev model id => every (publisher, name, index) that registered it, oldest first.
    mapping(bytes32 => Registration[]) private byModel;

    event ModelRegistered(
        address indexed publisher,
        bytes32 indexed nameHash,
        bytes32 indexed modelId,
        string name,
        string version,
        uint256 index,
        bytes32 artifactDigest,
        string uri,
        string kind
    );
    event VersionRevoked(
        address indexed publisher, bytes32 indexed nameHash, bytes32 indexed modelId, string name, string version, uint256 index
    );

    error EmptyField(string field);
    error FieldTooLong(string field, uint256 length, uint256 max);
    error InvalidCharacter(string field, uint256 position);
    error ZeroDigest(string field);
    error VersionTaken(string name, string version, uint256 index);
    error UnknownVersion(address publisher, string name, string version);
    error IndexOutOfRange(uint256 index, uint256 count);

    uint256 private constant MAX_NAME = 64;
    uint256 private constant MAX_VERSION = 64;
    uint256 private constant MAX_URI = 512;
    uint256 private constant MAX_KIND = 32;

    uint256 private constant HALF_CURVE_ORDER =
        0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;
    uint256 private constant CURVE_ORDER =
        0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141;

    // ------------------------------------------------------------------ writes

    /// @notice Registers `version` of msg.sender's model `name`. Returns (true, index) for a new
    ///         version, (false, index) if msg.sender registered exactly this entry before.
    function register(
        string calldata name,
        string calldata version,
        bytes32 modelId,
        bytes32 artifactDigest,
        string calldata uri,
        string calldata kind
    ) external returns (bool fresh, uint256 index) {
        _printable("name", bytes(name), MAX_NAME);
        _printable("version", bytes(version), MAX_VERSION);
        _printable("uri", bytes(uri), MAX_URI);
        _kind(bytes(kind));
        if (modelId == bytes32(0)) revert ZeroDigest("modelId");
        if (artifactDigest == bytes32(0)) revert ZeroDigest("artifactDigest");
        bytes32 nameHash = keccak256(bytes(name));
        {
            uint256 slot = slots[msg.sender][nameHash][keccak256(bytes(version))];
            if (slot != 0) {
                if (_same(versions[msg.sender][nameHash][slot - 1], modelId, artifactDigest, uri, kind)) return (false, slot - 1);
                revert VersionTaken(name, version, slot - 1);
            }
        }
        {
            Version storage v;
            (index, v) = _append(nameHash, name, modelId, artifactDigest);
            _fill(v, version, uri, kind);
        }
        slots[msg.sender][nameHash][keccak256(bytes(version))] = index + 1;
        _emitRegistered(nameHash, index);
        return (true, index);
    }

    /// @dev Emits from storage (just written, so warm): the calldata strings would not fit the stack.
    function _emitRegistered(bytes32 nameHash, uint256 index) private {
        Version storage v = versions[msg.sender][nameHash][index];
        emit ModelRegistered(
            msg.sender, nameHash, v.modelId, names[msg.sender][nameHash], v.version, index, v.artifactDigest, v.uri, v.kind
        );
    }

    function _same(Version storage v, bytes32 modelId, bytes32 artifactDigest, string calldata uri, string calldata kind)
        private
        view
        returns (bool)
    {
        return v.modelId == modelId && v.artifactDigest == artifactDigest && keccak256(bytes(v.uri)) == keccak256(bytes(uri))
            && keccak256(bytes(v.kind)) == keccak256(bytes(kind));
    }

    function _append(bytes32 nameHash, string calldata name, bytes32 modelId, bytes32 artifactDigest)
        private
        returns (uint256 index, Version storage v)
    {
        Version[] storage list = versions[msg.sender][nameHash];
        index = list.length;
        if (index == 0) names[msg.sender][nameHash] = name;
        v = list.push();
        v.modelId = modelId;
        v.artifactDigest = artifactDigest;
        v.registeredBlock = uint64(block.number);
        byModel[modelId].push(Registration(msg.sender, uint64(index), nameHash));
    }

    function _fill(Version storage v, string calldata version, string calldata uri, string calldata kind) private {
        v.version = version;
        v.uri = uri;
        v.kind = kind;
    }

    /// @notice Marks `version` of msg.sender's model `name` revoked. Returns false (and changes
    ///         nothing) if it already is; reverts with UnknownVersion if msg.sender has no such version.
    function revoke(string calldata name, string calldata version) external returns (bool fresh) {
        bytes32 nameHash = keccak256(bytes(name));
        uint256 slot = slots[msg.sender][nameHash][keccak256(bytes(version))];
        if (slot == 0) revert UnknownVersion(msg.sender, name, version);
        Version storage v = versions[msg.sender][nameHash][slot - 1];
        if (v.revokedBlock != 0) return false;
        v.revokedBlock = uint64(block.number);
        emit VersionRevoked(msg.sender, nameHash, v.modelId, name, version, slot - 1);
        return true;
    }

    // ------------------------------------------------------------------ reads

    /// @notice How many versions `publisher` registered under `name`.
    function versionCount(address publisher, string calldata name) external view returns (uint256) {
        return versions[publisher][keccak256(bytes(name))].length;
    }

    /// @notice Version `index` (0 = the first registered) of `publisher`'s model `name`.
    ///         `revokedBlock` is 0 unless revoked.
    function versionAt(address publisher, string calldata name, uint256 index)
        external
        view
        returns (
            bytes32 modelId,
            bytes32 artifactDigest,
            string memory version,
            string memory uri,
            string memory kind,
            uint64 registeredBlock,
            uint64 revokedBlock
        )
    {
        Version[] storage list = versions[publisher][keccak256(bytes(name))];
        if (index >= list.length) revert IndexOutOfRange(index, list.length);
        Version storage v = list[index];
        return (v.modelId, v.artifactDigest, v.version, v.uri, v.kind, v.registeredBlock, v.revokedBlock);
    }

    /// @notice The index of `version` of `publisher`'s model `name`; found false if there is none.
    function versionIndex(address publisher, string calldata name, string calldata version)
        external
        view
        returns (bool found, uint256 index)
    {
        uint256 slot = slots[publisher][keccak256(bytes(name))][keccak256(bytes(version))];
        return slot == 0 ? (false, 0) : (true, slot - 1);
    }

    /// @notice How many (publisher, name, version) entries registered `modelId`.
    function registrationCount(bytes32 modelId) external view returns (uint256) {
        return byModel[modelId].length;
    }

    /// @notice Entry `i` (oldest first) that registered `modelId`: whose, under which name, which version index.
    function registrationAt(bytes32 modelId, uint256 i)
        external
        view
        returns (address publisher, string memory name, uint256 index)
    {
        Registration[] storage list = byModel[modelId];
        if (i >= list.length) revert IndexOutOfRange(i, list.length);
        Registration storage r = list[i];
        return (r.publisher, names[r.publisher][r.nameHash], r.index);
    }

    // ------------------------------------------------------------------ DSSE signatures

    /// @notice DSSE v1 pre-authentication encoding:
    ///         "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, LEN in ASCII decimal.
    function dssePae(string calldata payloadType, bytes calldata payload) public pure returns (bytes memory) {
        return abi.encodePacked(
            "DSSEv1 ", _decimal(bytes(payloadType).length), " ", payloadType, " ", _decimal(payload.length), " ", payload
        );
    }

    /// @notice The digest an opg DSSE signature signs: keccak256 of the PAE.
    function dsseDigest(string calldata payloadType, bytes calldata payload) public pure returns (bytes32) {
        return keccak256(dssePae(payloadType, payload));
    }

    /// @notice The address whose key made `signature` (65 bytes r || s || v, v 27 or 28, low s) over
    ///         the DSSE envelope (payloadType, payload); address(0) if the signature is not valid.
    function recoverDsseSigner(string calldata payloadType, bytes calldata payload, bytes calldata signature)
        external
        pure
        returns (address)
    {
        if (signature.length != 65) return address(0);
        uint256 r = uint256(bytes32(signature[0:32]));
        uint256 s = uint256(bytes32(signature[32:64]));
        uint8 v = uint8(signature[64]);
        if ((v != 27 && v != 28) || r == 0 || r >= CURVE_ORDER || s == 0 || s > HALF_CURVE_ORDER) return address(0);
        return ecrecover(dsseDigest(payloadType, payload), v, bytes32(r), bytes32(s));
    }

    // ------------------------------------------------------------------ plumbing

    function _printable(string memory field, bytes calldata b, uint256 max) private pure {
        if (b.length == 0) revert EmptyField(field);
        if (b.length > max) revert FieldTooLong(field, b.length, max);
        for (uint256 i = 0; i < b.length; i++) {
            uint8 c = uint8(b[i]);
            if (c < 0x21 || c > 0x7e) revert InvalidCharacter(field, i);
        }
    }

    function _kind(bytes calldata b) private pure {
        if (b.length == 0) revert EmptyField("kind");
        if (b.length > MAX_KIND) revert FieldTooLong("kind", b.length, MAX_KIND);
        for (uint256 i = 0; i < b.length; i++) {
            uint8 c = uint8(b[i]);
            bool ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x2d;
            if (!ok) revert InvalidCharacter("kind", i);
        }
    }

    function _decimal(uint256 n) private pure returns (bytes memory out) {
        if (n == 0) return "0";
        uint256 digits;
        for (uint256 m = n; m != 0; m /= 10) digits++;
        out = new bytes(digits);
        for (; n != 0; n /= 10) out[--digits] = bytes1(uint8(0x30 + n % 10));
    }
}
