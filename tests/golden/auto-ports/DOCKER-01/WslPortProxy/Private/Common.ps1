# Errors with exit codes, environment folders, native programs and elevation.

function New-Failure {
    <#
    .SYNOPSIS
        An error record that carries one of the documented exit codes and an ErrorId.
    .DESCRIPTION
        The exit code travels in the exception's Data (key $script:WslppExitCodeKey), so the
        entry scripts turn any error into its exit code; the ErrorId is 'WslPortProxy.<Id>'.
    #>
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '',
        Justification = 'Builds an object in memory; changes nothing on the system.')]
    [CmdletBinding()]
    [OutputType([System.Management.Automation.ErrorRecord])]
    param(
        [Parameter(Mandatory)] [int] $ExitCode,
        [Parameter(Mandatory)] [string] $ErrorId,
        [Parameter(Mandatory)] [string] $Message,
        [System.Management.Automation.ErrorCategory] $Category = 'NotSpecified'
    )
    $exception = New-Object -TypeName System.InvalidOperationException -ArgumentList $Message
    $exception.Data[$script:WslppExitCodeKey] = $ExitCode
    return New-Object -TypeName System.Management.Automation.ErrorRecord -ArgumentList @(
        $exception, "WslPortProxy.$ErrorId", $Category, $null)
}

function Get-FailureExitCode {
    <#
    .SYNOPSIS
        The exit code an error maps to: its documented code, or 1 when it was unexpected.
    #>
    [CmdletBinding()]
    [OutputType([int])]
    param([Parameter(Mandatory)] [System.Management.Automation.ErrorRecord] $ErrorRecord)
    $data = $ErrorRecord.Exception.Data
    if ($null -ne $data -and $data.Contains($script:WslppExitCodeKey)) {
        return [int] $data[$script:WslppExitCodeKey]
    }
    return 1
}

function Get-EnvironmentFolder {
    <#
    .SYNOPSIS
        The folder an environment variable names (ProgramData, ProgramFiles, SystemDrive, ...).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $Name)
    $value = [System.Environment]::GetEnvironmentVariable($Name)
    if ([string]::IsNullOrEmpty($value)) {
        $message = "The environment variable $Name is not set."
        throw (New-Failure -ExitCode 1 -ErrorId 'EnvironmentMissing' -Message $message)
    }
    if ($value.EndsWith(':')) {
        $value = $value + '\'
    }
    return $value
}

function Get-System32Path {
    <#
    .SYNOPSIS
        %SystemRoot%\System32\<Name>: system programs run from there, never from PATH (we run elevated).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $Name)
    $system32 = Join-Path -Path (Get-EnvironmentFolder -Name 'SystemRoot') -ChildPath 'System32'
    return Join-Path -Path $system32 -ChildPath $Name
}

function Get-SystemProgram {
    <#
    .SYNOPSIS
        The path of a program in System32; an error (exit 1) when it is not there.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $Name)
    $path = Get-System32Path -Name $Name
    if (-not (Test-Path -LiteralPath $path -PathType Leaf)) {
        $message = "$Name was not found in $(Split-Path -Path $path -Parent)."
        throw (New-Failure -ExitCode 1 -ErrorId 'SystemProgramMissing' -Message $message)
    }
    return $path
}

function Find-Program {
    <#
    .SYNOPSIS
        The first candidate path that exists, else the program found on PATH, else $null.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $Name,
        [string[]] $Candidate = @()
    )
    foreach ($path in $Candidate) {
        if (Test-Path -LiteralPath $path -PathType Leaf) {
            return $path
        }
    }
    $command = Get-Command -Name $Name -CommandType Application -ErrorAction SilentlyContinue |
        Select-Object -First 1
    if ($null -eq $command) {
        return $null
    }
    return $command.Source
}

function Invoke-NativeCommand {
    <#
    .SYNOPSIS
        Runs a program; returns its exit code and output lines (stdout and stderr together).
    .DESCRIPTION
        Text on stderr never becomes a terminating error (Windows PowerShell 5.1 would make it
        one under ErrorActionPreference Stop); the caller decides from ExitCode.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [string] $FilePath,
        [string[]] $ArgumentList = @()
    )
    $previousPreference = $ErrorActionPreference
    $ErrorActionPreference = 'Continue'
    try {
        $lines = @(& $FilePath @ArgumentList 2>&1 | ForEach-Object -Process { "$_".Replace([string][char]0, '') })
        $exitCode = $LASTEXITCODE
    }
    finally {
        $ErrorActionPreference = $previousPreference
    }
    return [pscustomobject]@{ ExitCode = $exitCode; Output = $lines }
}

function Test-Elevated {
    <#
    .SYNOPSIS
        True when this process has an elevated (high or system integrity) token.
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param()
    $arguments = @('/groups', '/fo', 'csv', '/nh')
    $result = Invoke-NativeCommand -FilePath (Get-System32Path -Name 'whoami.exe') -ArgumentList $arguments
    if ($result.ExitCode -ne 0) {
        $message = "whoami.exe /groups failed (exit $($result.ExitCode)): $($result.Output -join ' ')"
        throw (New-Failure -ExitCode 1 -ErrorId 'WhoamiFailed' -Message $message)
    }
    $groups = $result.Output -join "`n"
    return ($groups -match 'S-1-16-12288' -or $groups -match 'S-1-16-16384')
}
