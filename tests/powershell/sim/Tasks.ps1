<#
    Task Scheduler: the ScheduledTasks cmdlets and the Schedule.Service COM object over tasks.json.

    Part of the simulated Windows: SimulatedWindows.ps1 (beside this file) loads it.
#>

function global:Register-ScheduledTask {
    <#
        register-faults.json {fault: ...} models Windows refusing a stored password: 'NoPasswordStorage'
        when the policy "Network access: Do not allow storage of passwords and credentials for network
        authentication" is on (0x80070520, ERROR_NO_SUCH_LOGON_SESSION; docs/windows-facts.md, row
        "Registering a Password task fails with 0x80070520"), and
        'NoBatchRight' when the account lacks "Log on as a batch job" (0x80070569,
        ERROR_LOGON_TYPE_NOT_GRANTED, winerror.h). Both only for a task registered with a password.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param([string] $TaskName, [string] $TaskPath, [string] $Xml, [string] $User, [string] $Password, [switch] $Force)
    $fault = (Read-SimState 'register-faults.json' @{ fault = $null }).fault
    if ($Password -and $fault -eq 'NoPasswordStorage') {
        throw 'A specified logon session does not exist. It may already have been terminated. (Exception from HRESULT: 0x80070520)'
    }
    if ($Password -and $fault -eq 'NoBatchRight') {
        throw 'Logon failure: the user has not been granted the requested logon type at this computer. (Exception from HRESULT: 0x80070569)'
    }
    [xml] $document = $Xml   # Task Scheduler refuses malformed XML; so does this
    $tasks = Read-SimState 'tasks.json' @{}
    $key = "$TaskPath$TaskName"
    if ($tasks.ContainsKey($key) -and -not $Force) { throw "Cannot create a file when that file already exists." }
    $tasks[$key] = @{ Xml = $Xml; User = $User; PasswordGiven = [bool] $Password; State = 'Ready'; LastTaskResult = 267011; LastRunTime = $null }
    Write-SimState 'tasks.json' $tasks
    return [pscustomobject]@{ TaskName = $TaskName; TaskPath = $TaskPath; State = 'Ready' }
}

function global:New-Object {
    <#
        New-Object as it is, except -ComObject 'Schedule.Service': the Task Scheduler scripting objects
        (learn.microsoft.com, "TaskService object", "ITaskService::GetFolder", "ITaskFolder::CreateFolder",
        "ITaskFolder::RegisterTask"): Connect(); GetFolder(path) fails with 0x80070002 for a folder that
        does not exist; CreateFolder(name); RegisterTask(name, xml, flags, user, password, logonType)
        registers into tasks.json as Register-ScheduledTask does, keeping what Task Scheduler keeps (the
        password and logon type), and refuses a password as register-faults.json says (also
        'WrongPassword': 0x8007052E, ERROR_LOGON_FAILURE). A method call is no command: module logging
        and parameter-binding traces do not see its arguments. Each call is recorded, without the password.
    #>
    [CmdletBinding(DefaultParameterSetName = 'Net')]
    param(
        [Parameter(ParameterSetName = 'Net', Mandatory, Position = 0)] [string] $TypeName,
        [Parameter(ParameterSetName = 'Net', Position = 1)] [object[]] $ArgumentList,
        [Parameter(ParameterSetName = 'Com', Mandatory)] [string] $ComObject,
        [System.Collections.IDictionary] $Property, [switch] $Strict
    )
    if ($PSCmdlet.ParameterSetName -eq 'Net') { return Microsoft.PowerShell.Utility\New-Object @PSBoundParameters }
    if ($ComObject -ne 'Schedule.Service') { throw "The simulation has no COM object $ComObject." }
    Add-SimCall 'COM Schedule.Service'
    $service = [pscustomobject]@{ Connected = $false }
    $service | Add-Member -MemberType ScriptMethod -Name Connect -Value { $this.Connected = $true }
    $service | Add-Member -MemberType ScriptMethod -Name GetFolder -Value {
        if (-not $this.Connected) { throw 'The Task Scheduler service is not connected. (Exception from HRESULT: 0x80041315)' }
        $path = $args[0]
        $known = @('\') + @(Read-SimState 'taskfolders.json' @()) + @((Read-SimState 'tasks.json' @{}).Keys | ForEach-Object { $_ -replace '\\[^\\]+$', '' })
        if ($path -notin $known) { throw 'The system cannot find the file specified. (Exception from HRESULT: 0x80070002)' }
        New-SimTaskFolder -Path $path
    }
    return $service
}

function global:New-SimTaskFolder {
    <# A Task Scheduler folder object of the Schedule.Service stand-in (New-Object -ComObject). #>
    param([string] $Path)
        $item = [pscustomobject]@{ Path = $Path }
        $item | Add-Member -MemberType ScriptMethod -Name CreateFolder -Value {
            $path = ($this.Path.TrimEnd('\') + '\' + $args[0])
            Add-SimCall "COM CreateFolder $path"
            $folders = @(Read-SimState 'taskfolders.json' @()) + $path
            Write-SimState 'taskfolders.json' $folders
            New-SimTaskFolder -Path $path
        }
        $item | Add-Member -MemberType ScriptMethod -Name RegisterTask -Value {
            $name, $xml, $flags, $user, $password, $logonType = $args
            $key = $this.Path.TrimEnd('\') + '\' + $name
            Add-SimCall "COM RegisterTask $key flags $flags user $user logonType $logonType"
            $fault = (Read-SimState 'register-faults.json' @{ fault = $null }).fault
            if ($password -and $fault -eq 'NoPasswordStorage') { throw 'A specified logon session does not exist. It may already have been terminated. (Exception from HRESULT: 0x80070520)' }
            if ($password -and $fault -eq 'NoBatchRight') { throw 'Logon failure: the user has not been granted the requested logon type at this computer. (Exception from HRESULT: 0x80070569)' }
            if ($password -and $fault -eq 'WrongPassword') { throw 'The user name or password is incorrect. (Exception from HRESULT: 0x8007052E)' }
            [xml] $document = $xml
            $tasks = Read-SimState 'tasks.json' @{}
            if ($tasks.ContainsKey($key) -and -not ($flags -band 4)) { throw 'Cannot create a file when that file already exists. (Exception from HRESULT: 0x800700B7)' }
            # What Task Scheduler keeps of the password, as a SHA-256 (so that no stand-in command is ever given it).
            $digest = $null
            if ($password) { $digest = [BitConverter]::ToString([System.Security.Cryptography.SHA256]::Create().ComputeHash([System.Text.Encoding]::UTF8.GetBytes($password))).Replace('-', '') }
            $tasks[$key] = @{ Xml = $xml; User = $user; PasswordGiven = [bool] $password; PasswordSha256 = $digest; LogonType = $logonType; State = 'Ready'; LastTaskResult = 267011; LastRunTime = $null }
            Write-SimState 'tasks.json' $tasks
            return [pscustomobject]@{ Path = $key }
        }
        return $item
}

function global:Get-ScheduledTask {
    [CmdletBinding()] param([string] $TaskName, [string] $TaskPath)
    Add-SimModuleLoad -Module 'ScheduledTasks'
    Update-SimTaskState -Key "$TaskPath$TaskName"
    $tasks = Read-SimState 'tasks.json' @{}
    $key = "$TaskPath$TaskName"
    if (-not $tasks.ContainsKey($key)) { Write-Error "No MSFT_ScheduledTask objects found with property 'TaskName' equal to '$TaskName'." -Category ObjectNotFound; return }
    return [pscustomobject]@{ TaskName = $TaskName; TaskPath = $TaskPath; State = $tasks[$key].State }
}

function global:Get-ScheduledTaskInfo {
    [CmdletBinding()] param([string] $TaskName, [string] $TaskPath)
    Update-SimTaskState -Key "$TaskPath$TaskName"
    $tasks = Read-SimState 'tasks.json' @{}
    $task = $tasks["$TaskPath$TaskName"]
    return [pscustomobject]@{ TaskName = $TaskName; LastTaskResult = $task.LastTaskResult; LastRunTime = $task.LastRunTime }
}

function global:Start-ScheduledTask {
    <# Starts the task's Exec action the way Task Scheduler would: in the background. #>
    [CmdletBinding()] param([string] $TaskName, [string] $TaskPath)
    $tasks = Read-SimState 'tasks.json' @{}
    $key = "$TaskPath$TaskName"
    Update-SimTaskState -Key $key
    if ($global:WslppSim.Tasks.ContainsKey($key)) {   # MultipleInstancesPolicy IgnoreNew: the start is dropped
        Add-SimCall "Start-ScheduledTask $key dropped: an instance is still running (IgnoreNew)"
        return
    }
    [xml] $document = $tasks[$key].Xml
    # LogonType InteractiveToken: "User must already be logged on. The task will be run only in an
    # existing interactive session." (learn.microsoft.com, "TASK_LOGON_TYPE enumeration"; the same words
    # for the task XML's InteractiveToken, "logonType Simple Type"). Without such a session of the
    # principal's account nothing is launched: the task stays Ready, LastRunTime and LastTaskResult stay
    # as they were (a task never run keeps 0x41303 = 267011, SCHED_S_TASK_HAS_NOT_RUN "The task has not
    # yet run.", learn.microsoft.com, "Task Scheduler Error and Success Constants"). Assumption, not
    # documented: Start-ScheduledTask itself returns without an error.
    $principal = $document.DocumentElement['Principals']['Principal']
    if ($null -ne $principal['LogonType'] -and $principal['LogonType'].InnerText -eq 'InteractiveToken') {
        $user = $tasks[$key].User
        if ($null -ne $principal['UserId']) { $user = $principal['UserId'].InnerText }
        if (-not (Test-SimInteractiveSession -Account $user)) {
            Add-SimCall "Start-ScheduledTask $key not started: $user has no interactive session (InteractiveToken)"
            return
        }
    }
    $arguments = $document.Task.Actions.Exec.Arguments
    if ($arguments -notmatch '-File "([^"]+)"((?: -\w+)*)\s*$') { throw "The task's action does not end with -File `"...`" and switches: $arguments" }
    $file = [regex]::Replace($Matches[1], '%(\w+)%', { param($m) [Environment]::GetEnvironmentVariable($m.Groups[1].Value) }).Replace('\', '/')
    $switches = @($Matches[2] -split ' ' | Where-Object { $_ })
    $global:WslppSim.Tasks[$key] = Start-SimScript -Path $file -Arguments $switches
    $tasks[$key].State = 'Running'
    $tasks[$key].LastTaskResult = 267009   # 0x41301: the task is currently running
    $tasks[$key].LastRunTime = (Get-Date).ToString('o')
    Write-SimState 'tasks.json' $tasks
}

function global:Update-SimTaskState {
    <# Records the result of a task whose background run has ended (or whose slow stop is due). #>
    param([string] $Key)
    $handle = $global:WslppSim.Tasks[$Key]
    if ($null -eq $handle) { return }
    $stopAt = $global:WslppSim.Stopping[$Key]
    if ($null -ne $stopAt -and (Get-Date) -ge $stopAt) {
        $null = Stop-SimScript -Handle $handle
        $global:WslppSim.Stopping.Remove($Key)
    }
    $code = Wait-SimScript -Handle $handle -Seconds 0
    if ($null -eq $code) { return }
    $tasks = Read-SimState 'tasks.json' @{}
    if ($tasks.ContainsKey($Key)) {
        $tasks[$Key].State = 'Ready'
        $tasks[$Key].LastTaskResult = $code
        Write-SimState 'tasks.json' $tasks
    }
    $global:WslppSim.Tasks.Remove($Key)
}

function global:Stop-ScheduledTask {
    <#
        Task Scheduler ends a running task with WM_CLOSE, then TerminateProcess, and the cmdlet returns
        before the instance is gone: until then the task still counts as Running (docs/windows-facts.md,
        row "Stopping a task"). task-faults.json {stop_seconds: N} makes the old instance take N seconds.
    #>
    [CmdletBinding()] param([string] $TaskName, [string] $TaskPath)
    $key = "$TaskPath$TaskName"
    $handle = $global:WslppSim.Tasks[$key]
    $delay = [double] (Read-SimState 'task-faults.json' @{ stop_seconds = 0 }).stop_seconds
    if ($null -ne $handle -and $delay -gt 0) {
        $global:WslppSim.Stopping[$key] = (Get-Date).AddSeconds($delay)
        return
    }
    if ($null -ne $handle) { $null = Stop-SimScript -Handle $handle }
    Update-SimTaskState -Key $key
}

function global:Unregister-ScheduledTask {
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')] param([string] $TaskName, [string] $TaskPath)
    $tasks = Read-SimState 'tasks.json' @{}
    $tasks.Remove("$TaskPath$TaskName")
    Write-SimState 'tasks.json' $tasks
}
