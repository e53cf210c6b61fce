"""The `awskms:` request/response contract, checked with botocore's Stubber.

AWS KMS cannot be reached from CI, so these tests pin what the backend sends (operations,
aliases, EncryptionContext) and how it maps KMS answers and errors; they are not a KMS.
"""

from __future__ import annotations

import base64
import datetime
from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import Stubber

from chatseal.errors import (
    Conflict,
    IntegrityError,
    KeyDestroyed,
    KeyUnavailable,
    KeyVersionRetired,
)
from chatseal.keys.awskms import AwsKmsKeyManager
from chatseal.keys.base import WrappedKey

CTX = {"chatseal:tenant": "acme", "chatseal:context": base64.b64encode(b"conv-1").decode()}
WHEN = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


@pytest.fixture
def kms() -> Iterator[tuple[AwsKmsKeyManager, Stubber]]:
    client = boto3.client(
        "kms", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    with Stubber(client) as stub:
        yield AwsKmsKeyManager(client, "chatseal"), stub
        stub.assert_no_pending_responses()


def _aliases(stub: Stubber, versions: dict[int, str]) -> None:
    entries = [{"AliasName": "alias/chatseal/acme", "TargetKeyId": versions[max(versions)]}]
    entries += [
        {"AliasName": f"alias/chatseal/acme/v{v}", "TargetKeyId": k} for v, k in versions.items()
    ]
    entries.append({"AliasName": "alias/chatseal/acme2/v1", "TargetKeyId": "other"})
    stub.add_response("list_aliases", {"Aliases": entries, "Truncated": False}, {})


def _describe(stub: Stubber, states: dict[int, str]) -> None:
    _aliases(stub, {v: f"key-{v}" for v in states})
    for v, state in states.items():
        stub.add_response(
            "describe_key",
            {"KeyMetadata": {"KeyId": f"key-{v}", "KeyState": state, "CreationDate": WHEN}},
            {"KeyId": f"key-{v}"},
        )


def test_generate_data_key_sends_alias_and_context(kms: tuple[AwsKmsKeyManager, Stubber]) -> None:
    """GenerateDataKey goes to the primary version's alias with the encryption context."""
    manager, stub = kms
    _describe(stub, {1: "Enabled", 2: "Enabled"})
    stub.add_response(
        "generate_data_key",
        {"Plaintext": b"k" * 32, "CiphertextBlob": b"blob", "KeyId": "key-2"},
        {"KeyId": "alias/chatseal/acme/v2", "KeySpec": "AES_256", "EncryptionContext": CTX},
    )
    key, wrapped = manager.generate_data_key("acme", b"conv-1")
    assert key == b"k" * 32 and wrapped == WrappedKey(2, b"blob")


def test_unwrap_pins_version_alias(kms: tuple[AwsKmsKeyManager, Stubber]) -> None:
    """Decrypt names the version's alias, so a blob cannot choose another key."""
    manager, stub = kms
    stub.add_response(
        "decrypt",
        {"Plaintext": b"k" * 32, "KeyId": "key-1"},
        {"KeyId": "alias/chatseal/acme/v1", "CiphertextBlob": b"blob", "EncryptionContext": CTX},
    )
    assert manager.unwrap("acme", WrappedKey(1, b"blob"), b"conv-1") == b"k" * 32


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("InvalidCiphertextException", IntegrityError),
        ("IncorrectKeyException", IntegrityError),
        ("DisabledException", KeyVersionRetired),
        ("KMSInvalidStateException", KeyDestroyed),
        ("AccessDeniedException", KeyUnavailable),
        ("KMSInternalException", KeyUnavailable),
    ],
)
def test_unwrap_error_mapping(
    kms: tuple[AwsKmsKeyManager, Stubber], code: str, error: type[Exception]
) -> None:
    """KMS errors map onto ChatSeal's, naming only the key version."""
    manager, stub = kms
    stub.add_client_error("decrypt", service_error_code=code, service_message="secret detail")
    with pytest.raises(error) as caught:
        manager.unwrap("acme", WrappedKey(3, b"blob"), b"conv-1")
    assert "secret detail" not in str(caught.value)
    if error is KeyVersionRetired:
        assert "v3" in str(caught.value)


def test_rewrap_uses_reencrypt(kms: tuple[AwsKmsKeyManager, Stubber]) -> None:
    """Rewrap is ReEncrypt from the old version's alias to the primary's, same context."""
    manager, stub = kms
    _describe(stub, {1: "Enabled", 2: "Enabled"})
    stub.add_response(
        "re_encrypt",
        {"CiphertextBlob": b"new", "KeyId": "key-2", "SourceKeyId": "key-1"},
        {
            "CiphertextBlob": b"old",
            "SourceKeyId": "alias/chatseal/acme/v1",
            "SourceEncryptionContext": CTX,
            "DestinationKeyId": "alias/chatseal/acme/v2",
            "DestinationEncryptionContext": CTX,
        },
    )
    assert manager.rewrap("acme", [(WrappedKey(1, b"old"), b"conv-1")]) == [WrappedKey(2, b"new")]


def test_rotate_creates_key_and_moves_alias(kms: tuple[AwsKmsKeyManager, Stubber]) -> None:
    """Rotate creates a KMS key, aliases it v2 and points the tenant alias at it."""
    manager, stub = kms
    _aliases(stub, {1: "key-1"})
    stub.add_response(
        "create_key",
        {"KeyMetadata": {"KeyId": "key-2"}},
        {
            "KeySpec": "SYMMETRIC_DEFAULT",
            "KeyUsage": "ENCRYPT_DECRYPT",
            "Description": "ChatSeal KEK v2",
            "Tags": [
                {"TagKey": "chatseal:tenant", "TagValue": "acme"},
                {"TagKey": "chatseal:version", "TagValue": "2"},
            ],
        },
    )
    stub.add_response(
        "create_alias", {}, {"AliasName": "alias/chatseal/acme/v2", "TargetKeyId": "key-2"}
    )
    stub.add_response(
        "update_alias", {}, {"AliasName": "alias/chatseal/acme", "TargetKeyId": "key-2"}
    )
    _describe(stub, {1: "Enabled", 2: "Enabled"})
    assert manager.rotate("acme").primary_version == 2


def test_retire_disables_old_keys(kms: tuple[AwsKmsKeyManager, Stubber]) -> None:
    """Retire disables the KMS keys below the minimum; describe then reports them retired."""
    manager, stub = kms
    _describe(stub, {1: "Enabled", 2: "Enabled"})
    _aliases(stub, {1: "key-1", 2: "key-2"})
    stub.add_response("disable_key", {}, {"KeyId": "key-1"})
    _describe(stub, {1: "Disabled", 2: "Enabled"})
    info = manager.retire("acme", 2)
    assert info.min_decryption_version == 2
    assert [v.state for v in info.versions] == ["retired", "active"]


def test_destroy_version_schedules_deletion(kms: tuple[AwsKmsKeyManager, Stubber]) -> None:
    """Destroying a version schedules its KMS key's deletion; the primary is refused."""
    manager, stub = kms
    _describe(stub, {1: "Enabled", 2: "Enabled"})
    with pytest.raises(Conflict):
        manager.destroy("acme", 2)
    _describe(stub, {1: "Enabled", 2: "Enabled"})
    _aliases(stub, {1: "key-1", 2: "key-2"})
    stub.add_response(
        "schedule_key_deletion",
        {"KeyId": "key-1"},
        {"KeyId": "key-1", "PendingWindowInDays": 7},
    )
    manager.destroy("acme", 1)


def test_create_conflicts_when_aliases_exist(kms: tuple[AwsKmsKeyManager, Stubber]) -> None:
    """A tenant whose aliases exist cannot be created again."""
    manager, stub = kms
    _aliases(stub, {1: "key-1"})
    with pytest.raises(Conflict):
        manager.create_tenant_key("acme")


def test_unreachable_kms_is_unavailable() -> None:
    """A KMS endpoint that refuses connections fails closed with KeyUnavailable."""
    client = boto3.client(
        "kms",
        region_name="eu-west-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=boto3.session.Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    manager = AwsKmsKeyManager(client)
    with pytest.raises(KeyUnavailable):
        manager.ping()
    manager.close()
