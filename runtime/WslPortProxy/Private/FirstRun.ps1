# The installer's first run: start the task (unless Windows would not start a logon task now) and
# wait for its first reconcile's result.

function Test-InteractiveLogon {
    <#
    .SYNOPSIS
        Whether an account is logged on to this computer interactively: $true, $false, or $null (cannot tell).
    .DESCRIPTION
        A logon task (LogonType InteractiveToken) runs only in an existing interactive session of its
        account (learn.microsoft.com, "TASK_LOGON_TYPE enumeration"). Interactive sessions are the
        Win32_LogonSession instances with LogonType 2 (Interactive), 10 (RemoteInteractive), 11
        (CachedInteractive) or 12 (CachedRemoteInteractive) ("Win32_LogonSession class");
        Win32_LoggedOnUser relates each to its account, a Win32_Account with Domain and Name
        ("Win32_LoggedOnUser class"). A WinRM session (Ansible, Invoke-Command) is a network logon (3).
        $true: a session of DOMAIN\user (names compared without case). $false: no interactive session
        at all, or none of a user of that name. $null: only one of that user name in another domain
        spelling (corp.example\user for CORP\user), an account given as user@domain, or a failed query.
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param([Parameter(Mandatory)] [string] $Account)
    $filter = 'LogonType = 2 OR LogonType = 10 OR LogonType = 11 OR LogonType = 12'
    try {
        $sessions = @(Get-CimInstance -ClassName Win32_LogonSession -Filter $filter -ErrorAction Stop |
                ForEach-Object -Process { "$($_.LogonId)" })
        if ($sessions.Count -eq 0) {
            return $false
        }
        $owners = @(Get-CimInstance -ClassName Win32_LoggedOnUser -ErrorAction Stop |
                Where-Object -FilterScript { "$($_.Dependent.LogonId)" -in $sessions } |
                ForEach-Object -Process { $_.Antecedent })
    }
    catch {
        Write-Verbose -Message "Cannot tell whether $Account is logged on: $($_.Exception.Message)"
        return $null
    }
    if (-not $Account.Contains('\')) {
        return $null
    }
    $domain, $user = $Account.Split('\', 2)
    $named = @($owners | Where-Object -FilterScript { "$($_.Name)" -eq $user })
    if ($named.Count -eq 0) {
        return $false
    }
    if (@($named | Where-Object -FilterScript { "$($_.Domain)" -eq $domain }).Count -gt 0) {
        return $true
    }
    return $null
}

function Start-FirstRun {
    <#
    .SYNOPSIS
        Starts the task (a watcher that keeps running) and waits for its first reconcile's result.
    .DESCRIPTION
        Returns Started, ExitCode and Message: the exit code and message from last-run.json; if the
        task ends first, its result. Not finishing within TimeoutSeconds is exit 4.
        A logon task (LogonAccount: its account) runs only in an interactive session of that account;
        without one, Task Scheduler launches nothing and the task stays Ready ("has not yet run"). When
        Test-InteractiveLogon says the account has none, the task is not started; when it cannot tell,
        the task is started, and if Task Scheduler has not started it within StartSeconds, that is the
        answer too: Started is $false, Message says why, and the task starts at the account's next logon.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [string] $Directory,
        [Parameter(Mandatory)] [int] $TimeoutSeconds,
        [AllowEmptyString()] [string] $LogonAccount,
        [int] $StartSeconds = $script:WslppLogonStartSeconds
    )
    $task = @{ TaskName = $script:WslppTaskName; TaskPath = $script:WslppTaskPath }
    if (-not $PSCmdlet.ShouldProcess("$($script:WslppTaskPath)$($script:WslppTaskName)", 'Start the task')) {
        return $null
    }
    if ($LogonAccount -and $false -eq (Test-InteractiveLogon -Account $LogonAccount)) {
        $message = "$LogonAccount is not logged on to this server"
        return [pscustomobject]@{ Started = $false; ExitCode = $null; Message = $message }
    }
    $startTicks = (Get-Date).ToUniversalTime().Ticks
    $before = (Get-ScheduledTaskInfo @task).LastRunTime
    Start-ScheduledTask @task
    $begun = -not $LogonAccount
    $startDeadline = (Get-Date).AddSeconds($StartSeconds)
    $deadline = (Get-Date).AddSeconds($TimeoutSeconds)
    $resultPath = Join-Path -Path $Directory -ChildPath 'last-run.json'
    while ((Get-Date) -lt $deadline) {
        Start-Sleep -Milliseconds 500
        $result = $null
        try {
            $result = Get-Content -LiteralPath $resultPath -Raw -Encoding UTF8 -ErrorAction Stop | ConvertFrom-Json
        }
        catch {
            Write-Verbose -Message "No result of the first run yet: $($_.Exception.Message)"
        }
        if ($null -ne $result -and [long] $result.utcTicks -ge $startTicks) {
            return [pscustomobject]@{
                Started = $true; ExitCode = [int] $result.exitCode; Message = "$($result.message)"
            }
        }
        $info = Get-ScheduledTaskInfo @task
        $state = "$((Get-ScheduledTask @task).State)"
        if ($info.LastRunTime -ne $before -and $state -ne 'Running') {
            return [pscustomobject]@{
                Started = $true; ExitCode = [int] $info.LastTaskResult; Message = 'the task ended'
            }
        }
        if (-not $begun) {
            $begun = $state -eq 'Running' -or $info.LastRunTime -ne $before
            if (-not $begun -and (Get-Date) -ge $startDeadline) {
                $message = "Task Scheduler did not start the task within $StartSeconds seconds, so $LogonAccount is " +
                    'probably not logged on to this server'
                return [pscustomobject]@{ Started = $false; ExitCode = $null; Message = $message }
            }
        }
    }
    $message = "Installed, but the task has not finished its first reconcile within $TimeoutSeconds seconds. " +
        'Check its log later.'
    throw (New-Failure -ExitCode 4 -ErrorId 'FirstRunTimeout' -Message $message)
}
