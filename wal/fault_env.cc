#include "wal/fault_env.h"

#include <memory>

namespace consensus::wal {
namespace {

/// Forwards to the real file unless the Env says to fail. Owns the real file.
class FaultInjectionFile : public leveldb::WritableFile {
public:
    FaultInjectionFile(FaultInjectionEnv* env, std::string name,
                       std::unique_ptr<leveldb::WritableFile> target)
        : env_(env), name_(std::move(name)), target_(std::move(target)) {}

    leveldb::Status Append(const leveldb::Slice& data) override {
        if (env_->should_fail_write()) {
            return leveldb::Status::IOError(name_, "injected write failure");
        }
        return target_->Append(data);
    }
    leveldb::Status Close() override { return target_->Close(); }
    leveldb::Status Flush() override {
        if (env_->should_fail_write()) {
            return leveldb::Status::IOError(name_, "injected write failure");
        }
        return target_->Flush();
    }
    leveldb::Status Sync() override {
        if (env_->should_fail_sync()) {
            return leveldb::Status::IOError(name_, "injected sync failure");
        }
        return target_->Sync();
    }

private:
    FaultInjectionEnv* env_;
    std::string name_;
    std::unique_ptr<leveldb::WritableFile> target_;
};

}  // namespace

FaultInjectionEnv::FaultInjectionEnv(leveldb::Env* target) : leveldb::EnvWrapper(target) {}

leveldb::Status FaultInjectionEnv::NewWritableFile(const std::string& name,
                                                   leveldb::WritableFile** result) {
    leveldb::WritableFile* file = nullptr;
    leveldb::Status status = target()->NewWritableFile(name, &file);
    if (!status.ok()) return status;
    // LevelDB's Env contract hands the caller ownership through a raw pointer.
    *result = new FaultInjectionFile(this, name, std::unique_ptr<leveldb::WritableFile>(file));
    return status;
}

leveldb::Status FaultInjectionEnv::NewAppendableFile(const std::string& name,
                                                     leveldb::WritableFile** result) {
    leveldb::WritableFile* file = nullptr;
    leveldb::Status status = target()->NewAppendableFile(name, &file);
    if (!status.ok()) return status;
    *result = new FaultInjectionFile(this, name, std::unique_ptr<leveldb::WritableFile>(file));
    return status;
}

bool FaultInjectionEnv::should_fail_sync() {
    if (!fail_syncs_.load()) return false;
    injected_failures_.fetch_add(1);
    return true;
}

bool FaultInjectionEnv::should_fail_write() {
    if (!fail_writes_.load()) return false;
    injected_failures_.fetch_add(1);
    return true;
}

}  // namespace consensus::wal
