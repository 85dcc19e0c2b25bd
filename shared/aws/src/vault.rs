//! [`SecretsVault`]: the [`Vault`] on AWS Secrets Manager. Values are JSON strings; the
//! version returned is Secrets Manager's `VersionId`. Values never reach logs or errors.

use async_trait::async_trait;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::DisplayErrorContext;
use aws_sdk_secretsmanager::operation::create_secret::CreateSecretError;
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
use aws_sdk_secretsmanager::operation::put_secret_value::PutSecretValueError;
use koppel_core::{Secret, Vault, VaultError};

/// The version stage of a secret's current value.
const CURRENT: &str = "AWSCURRENT";

/// JSON secrets in Secrets Manager.
#[derive(Debug, Clone)]
pub struct SecretsVault {
    client: Client,
}

impl SecretsVault {
    /// A vault using `client`.
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// Adds a version to an existing secret; `Ok(None)` when the secret does not exist.
    async fn put_version(&self, name: &str, text: &str) -> Result<Option<String>, VaultError> {
        match self
            .client
            .put_secret_value()
            .secret_id(name)
            .secret_string(text)
            .send()
            .await
        {
            Ok(output) => Ok(Some(version_of(name, output.version_id)?)),
            Err(error)
                if matches!(
                    error.as_service_error(),
                    Some(PutSecretValueError::ResourceNotFoundException(_))
                ) =>
            {
                Ok(None)
            }
            Err(error) => Err(unavailable("PutSecretValue", name, &error)),
        }
    }
}

fn unavailable(
    operation: &str,
    name: &str,
    error: &(dyn std::error::Error + 'static),
) -> VaultError {
    VaultError::Unavailable(format!(
        "Secrets Manager {operation} on secret {name} failed: {}",
        DisplayErrorContext(error)
    ))
}

fn version_of(name: &str, version: Option<String>) -> Result<String, VaultError> {
    version.ok_or_else(|| VaultError::Corrupt {
        name: name.to_owned(),
        detail: "Secrets Manager returned no version id".into(),
    })
}

#[async_trait]
impl Vault for SecretsVault {
    async fn read(&self, name: &str) -> Result<Option<Secret>, VaultError> {
        let output = match self
            .client
            .get_secret_value()
            .secret_id(name)
            .version_stage(CURRENT)
            .send()
            .await
        {
            Ok(output) => output,
            Err(error)
                if matches!(
                    error.as_service_error(),
                    Some(GetSecretValueError::ResourceNotFoundException(_))
                ) =>
            {
                return Ok(None);
            }
            Err(error) => return Err(unavailable("GetSecretValue", name, &error)),
        };
        let corrupt = |detail: &str| VaultError::Corrupt {
            name: name.to_owned(),
            detail: detail.to_owned(),
        };
        let text = output
            .secret_string
            .as_deref()
            .ok_or_else(|| corrupt("it has no text value (binary secrets are not used)"))?;
        // The serde message may quote part of the value: leave it out.
        let value = serde_json::from_str(text).map_err(|_| corrupt("its value is not JSON"))?;
        Ok(Some(Secret {
            value,
            version: version_of(name, output.version_id)?,
        }))
    }

    async fn write(&self, name: &str, value: &serde_json::Value) -> Result<String, VaultError> {
        let text = value.to_string();
        if let Some(version) = self.put_version(name, &text).await? {
            return Ok(version);
        }
        match self
            .client
            .create_secret()
            .name(name)
            .secret_string(&text)
            .send()
            .await
        {
            Ok(output) => {
                tracing::info!(secret = name, "secret created");
                version_of(name, output.version_id)
            }
            // Another worker created it meanwhile: add our value as a new version.
            Err(error)
                if matches!(
                    error.as_service_error(),
                    Some(CreateSecretError::ResourceExistsException(_))
                ) =>
            {
                self.put_version(name, &text).await?.ok_or_else(|| {
                    VaultError::Unavailable(format!(
                        "secret {name} appeared and disappeared while writing it; try again"
                    ))
                })
            }
            Err(error) => Err(unavailable("CreateSecret", name, &error)),
        }
    }
}
