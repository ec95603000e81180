#pragma once
/// THE error table (STYLE §1.7: what clients see comes from one table). v2 codes,
/// messages and HTTP statuses match etcd's server/etcdserver/api/v2error exactly
/// [etcd: server/etcdserver/api/v2error/error.go]. The v3 table joins it when the v3
/// gateway lands.

namespace consensus::errors {

// v2 command errors.
inline constexpr int kV2KeyNotFound = 100;
inline constexpr int kV2TestFailed = 101;
inline constexpr int kV2NotFile = 102;
inline constexpr int kV2NotDir = 104;
inline constexpr int kV2NodeExist = 105;
inline constexpr int kV2RootReadOnly = 107;
inline constexpr int kV2DirNotEmpty = 108;
inline constexpr int kV2Unauthorized = 110;
// v2 form errors.
inline constexpr int kV2ValueRequired = 200;
inline constexpr int kV2PrevValueRequired = 201;
inline constexpr int kV2TtlNaN = 202;
inline constexpr int kV2IndexNaN = 203;
inline constexpr int kV2InvalidField = 209;
inline constexpr int kV2InvalidForm = 210;
inline constexpr int kV2RefreshValue = 211;
inline constexpr int kV2TtlOnRefresh = 212;
// v2 raft errors.
inline constexpr int kV2RaftInternal = 300;
inline constexpr int kV2LeaderElect = 301;
// v2 watch errors.
inline constexpr int kV2WatcherCleared = 400;
inline constexpr int kV2EventIndexCleared = 401;

/// etcd's message for a v2 error code ("Key not found"); "" for an unknown code.
inline const char* v2_message(int code) {
    switch (code) {
        case 100: return "Key not found";
        case 101: return "Compare failed";
        case 102: return "Not a file";
        case 103: return "Reached the max number of peers in the cluster";
        case 104: return "Not a directory";
        case 105: return "Key already exists";
        case 106: return "The prefix of given key is a keyword in etcd";
        case 107: return "Root is read only";
        case 108: return "Directory not empty";
        case 109: return "Peer address has existed";
        case 110: return "The request requires user authentication";
        case 200: return "Value is Required in POST form";
        case 201: return "PrevValue is Required in POST form";
        case 202: return "The given TTL in POST form is not a number";
        case 203: return "The given index in POST form is not a number";
        case 204: return "Value or TTL is required in POST form";
        case 205: return "The given timeout in POST form is not a number";
        case 206: return "Name is required in POST form";
        case 207: return "Index or value is required";
        case 208: return "Index and value cannot both be specified";
        case 209: return "Invalid field";
        case 210: return "Invalid POST form";
        case 211: return "Value provided on refresh";
        case 212: return "A TTL must be provided on refresh";
        case 300: return "Raft Internal Error";
        case 301: return "During Leader Election";
        case 400: return "watcher is cleared due to etcd recovery";
        case 401: return "The event in requested index is outdated and cleared";
        case 402: return "Standby Internal Error";
        case 403: return "Invalid active size";
        case 404: return "Standby remove delay";
        case 500: return "Client Internal Error";
        default: return "";
    }
}

/// The HTTP status etcd sends for a v2 error code; 400 unless listed (so 104, 107,
/// every 2xx code and 401 are 400, as etcd does).
inline int v2_http_status(int code) {
    switch (code) {
        case kV2KeyNotFound: return 404;
        case kV2NotFile: return 403;
        case kV2DirNotEmpty: return 403;
        case kV2Unauthorized: return 401;
        case kV2TestFailed: return 412;
        case kV2NodeExist: return 412;
        case kV2RaftInternal: return 500;
        case kV2LeaderElect: return 500;
        default: return 400;
    }
}

}  // namespace consensus::errors
