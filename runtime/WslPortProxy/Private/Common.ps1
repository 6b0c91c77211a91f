# Errors with exit codes, system folders (from HKLM), native programs (bounded in time) and elevation.

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

function Get-RegistryText {
    <#
    .SYNOPSIS
        The text of one registry value, '' when the key or the value is missing.
    .DESCRIPTION
        The registry provider returns a REG_EXPAND_SZ with its %NAME% expanded from this process's
        environment (RegistryKey.GetValue, learn.microsoft.com); Unexpanded returns it as stored
        (RegistryValueOptions.DoNotExpandEnvironmentNames), so that no variable of the task's account
        goes into it.
    .OUTPUTS
        System.String
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $Key,
        [Parameter(Mandatory)] [string] $Name,
        [switch] $Unexpanded
    )
    if ($Unexpanded) {
        $item = Get-Item -LiteralPath $Key -ErrorAction SilentlyContinue
        if ($null -eq $item) {
            return ''
        }
        return "$($item.GetValue($Name, '', 'DoNotExpandEnvironmentNames'))"
    }
    $item = Get-ItemProperty -LiteralPath $Key -Name $Name -ErrorAction SilentlyContinue
    if ($null -eq $item) {
        return ''
    }
    return "$($item.$Name)"
}

function Get-EnvironmentFolder {
    <#
    .SYNOPSIS
        SystemRoot, SystemDrive, ProgramFiles or ProgramData, from values only administrators can write.
    .DESCRIPTION
        Never from environment variables: the task's account sets its own in HKCU\Environment, and
        they would redirect the elevated task (the SilentCleanup %windir% technique). SystemRoot is
        HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion SystemRoot; SystemDrive the folder above it
        (C:\ for C:\Windows); ProgramFiles HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion ProgramFilesDir;
        ProgramData the ProfileList value ProgramData (REG_EXPAND_SZ '%SystemDrive%\ProgramData'), read
        unexpanded and with %SystemDrive% taken from SystemRoot. Unreadable: exit 1.
    .OUTPUTS
        System.String
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [ValidateSet('SystemRoot', 'SystemDrive', 'ProgramFiles', 'ProgramData')] [string] $Name
    )
    $where = @{
        SystemRoot   = @('HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion', 'SystemRoot')
        ProgramFiles = @('HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion', 'ProgramFilesDir')
        ProgramData  = @('HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList', 'ProgramData')
    }
    $systemRoot = Get-RegistryText -Key $where.SystemRoot[0] -Name $where.SystemRoot[1]
    $value = ''
    if ($systemRoot) {
        $drive = Split-Path -Path $systemRoot -Parent
        $value = switch ($Name) {
            'SystemRoot' { $systemRoot }
            'SystemDrive' { $drive }
            'ProgramFiles' { Get-RegistryText -Key $where.ProgramFiles[0] -Name $where.ProgramFiles[1] }
            default {
                $raw = Get-RegistryText -Key $where.ProgramData[0] -Name $where.ProgramData[1] -Unexpanded
                if ($raw -match '^%SystemDrive%((\\[^\\%]+)+)$') {
                    [System.IO.Path]::Combine([string[]] (@($drive) + $Matches[1].Substring(1).Split('\')))
                }
                elseif ($raw -match '^[A-Za-z]:\\[^%]*$') {
                    $raw
                }
            }
        }
    }
    if (-not $value) {
        $source = $where.SystemRoot
        if ($where.ContainsKey($Name) -and $systemRoot) {
            $source = $where[$Name]
        }
        $message = "The folder $Name cannot be read from $($source[0]) ($($source[1])); WslPortProxy does not " +
            "take it from environment variables, which the task's account can set."
        throw (New-Failure -ExitCode 1 -ErrorId 'SystemFolderMissing' -Message $message)
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
        The first candidate path that exists, else $null; never a program found on PATH.
    .DESCRIPTION
        The task runs elevated and its PATH holds the account's own folders and any machine PATH
        folder other users may write: a program found there could be anyone's.
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
    Write-Verbose -Message "$Name is in none of: $($Candidate -join ', ') (PATH is not searched)."
    return $null
}

function ConvertTo-CommandLine {
    <#
    .SYNOPSIS
        Arguments as one Windows command line, quoted as CommandLineToArgvW and the C runtime read it back.
    .DESCRIPTION
        An argument with a space, a tab or a quote, or an empty one, is quoted; backslashes are doubled
        only where a quote follows them (learn.microsoft.com, "Parsing C command-line arguments").
    .OUTPUTS
        [string]
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([AllowEmptyCollection()] [string[]] $ArgumentList = @())
    $words = foreach ($argument in $ArgumentList) {
        if ($argument.Length -gt 0 -and $argument -notmatch '[\s"]') {
            $argument
            continue
        }
        $escaped = [regex]::Replace($argument, '(\\*)"', { param($m) ($m.Groups[1].Value * 2) + '\"' })
        '"' + [regex]::Replace($escaped, '(\\+)$', { param($m) $m.Groups[1].Value * 2 }) + '"'
    }
    return (@($words) -join ' ')
}

function Stop-NativeProcessTree {
    <#
    .SYNOPSIS
        Ends a process and every process it started (taskkill /PID n /T /F), within 30 seconds.
    .DESCRIPTION
        Windows PowerShell 5.1 (.NET Framework) has no Process.Kill(entireProcessTree): taskkill from
        System32 ends the tree (learn.microsoft.com, taskkill: /t ends the child processes too, /f
        forcefully). Should taskkill fail or hang, the process itself is killed.
    .OUTPUTS
        None.
    #>
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '',
        Justification = 'Ends a process this module started and that ran out of time.')]
    [CmdletBinding()]
    [OutputType([void])]
    param([Parameter(Mandatory)] [System.Diagnostics.Process] $Process)
    try {
        $info = New-Object -TypeName System.Diagnostics.ProcessStartInfo
        $info.FileName = Get-System32Path -Name 'taskkill.exe'
        $info.Arguments = '/PID {0} /T /F' -f $Process.Id
        $info.UseShellExecute = $false
        $info.CreateNoWindow = $true
        $killer = [System.Diagnostics.Process]::Start($info)
        if (-not $killer.WaitForExit(30000)) {
            $killer.Kill()
        }
    }
    catch {
        Write-Verbose -Message "taskkill could not end process $($Process.Id): $($_.Exception.Message)"
    }
    if (-not $Process.HasExited) {
        $Process.Kill()
    }
}

function Invoke-NativeCommand {
    <#
    .SYNOPSIS
        Runs a program for at most TimeoutSeconds; returns its exit code and output lines (stdout, then stderr).
    .DESCRIPTION
        Text on stderr never becomes a terminating error (Windows PowerShell 5.1 would make it
        one under ErrorActionPreference Stop); the caller decides from ExitCode. Output is decoded
        with the console's output encoding, as PowerShell decodes a native command's output. A
        program that has not ended (and closed its output) within TimeoutSeconds is ended with
        every process it started, and the call fails with exit code 14 (CommandTimedOut), naming
        the program and the timeout: wsl.exe can hang for minutes or for good (microsoft/WSL#4144,
        #8529, #11067).
    .OUTPUTS
        [pscustomobject] with ExitCode and Output.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [string] $FilePath,
        [string[]] $ArgumentList = @(),
        [ValidateRange(1, 86400)] [int] $TimeoutSeconds = $script:WslppCommandTimeoutSeconds
    )
    $info = New-Object -TypeName System.Diagnostics.ProcessStartInfo
    $info.FileName = $FilePath
    $info.Arguments = ConvertTo-CommandLine -ArgumentList $ArgumentList
    $info.UseShellExecute = $false
    $info.CreateNoWindow = $true
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $info.StandardOutputEncoding = [Console]::OutputEncoding
    $info.StandardErrorEncoding = [Console]::OutputEncoding
    $process = [System.Diagnostics.Process]::Start($info)
    $streams = @($process.StandardOutput.ReadToEndAsync(), $process.StandardError.ReadToEndAsync())
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    $ended = $process.WaitForExit($TimeoutSeconds * 1000) -and
        [System.Threading.Tasks.Task]::WaitAll([System.Threading.Tasks.Task[]] $streams,
            [int] [math]::Max(0, ($deadline - [DateTime]::UtcNow).TotalMilliseconds))
    if (-not $ended) {
        Stop-NativeProcessTree -Process $process
        $name = Split-Path -Path $FilePath -Leaf
        $message = "$name did not finish within $TimeoutSeconds s ($name $($ArgumentList -join ' ')), so it was " +
            'ended with the processes it started.'
        throw (New-Failure -ExitCode 14 -ErrorId 'CommandTimedOut' -Message $message -Category OperationTimeout)
    }
    $process.WaitForExit()
    $lines = @(foreach ($text in @($streams[0].Result, $streams[1].Result)) {
            # As PowerShell reads a program's output: one string per line, none for the final line break.
            $text = $text.Replace([string][char]0, '')
            if ($text.Length -gt 0) {
                $text -replace '\r?\n$', '' -split '\r?\n'
            }
        })
    return [pscustomobject]@{ ExitCode = $process.ExitCode; Output = $lines }
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
